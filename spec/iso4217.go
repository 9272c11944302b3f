package spec

// ISO 4217 currencies: alpha code, numeric code and exponent (minor unit
// digits). Generated from the Debian iso-codes list (iso_4217.json), with the
// ISO 4217 minor units; precious metals, fund units and testing codes (X..
// codes without minor units) are left out: they are not card currencies.

var currencies = [...]Currency{
	{Alpha: "AED", Numeric: 784, Exponent: 2}, // UAE Dirham
	{Alpha: "AFN", Numeric: 971, Exponent: 2}, // Afghani
	{Alpha: "ALL", Numeric: 8, Exponent: 2},   // Lek
	{Alpha: "AMD", Numeric: 51, Exponent: 2},  // Armenian Dram
	{Alpha: "ANG", Numeric: 532, Exponent: 2}, // Netherlands Antillean Guilder
	{Alpha: "AOA", Numeric: 973, Exponent: 2}, // Kwanza
	{Alpha: "ARS", Numeric: 32, Exponent: 2},  // Argentine Peso
	{Alpha: "AUD", Numeric: 36, Exponent: 2},  // Australian Dollar
	{Alpha: "AWG", Numeric: 533, Exponent: 2}, // Aruban Florin
	{Alpha: "AZN", Numeric: 944, Exponent: 2}, // Azerbaijan Manat
	{Alpha: "BAM", Numeric: 977, Exponent: 2}, // Convertible Mark
	{Alpha: "BBD", Numeric: 52, Exponent: 2},  // Barbados Dollar
	{Alpha: "BDT", Numeric: 50, Exponent: 2},  // Taka
	{Alpha: "BGN", Numeric: 975, Exponent: 2}, // Bulgarian Lev
	{Alpha: "BHD", Numeric: 48, Exponent: 3},  // Bahraini Dinar
	{Alpha: "BIF", Numeric: 108, Exponent: 0}, // Burundi Franc
	{Alpha: "BMD", Numeric: 60, Exponent: 2},  // Bermudian Dollar
	{Alpha: "BND", Numeric: 96, Exponent: 2},  // Brunei Dollar
	{Alpha: "BOB", Numeric: 68, Exponent: 2},  // Boliviano
	{Alpha: "BOV", Numeric: 984, Exponent: 2}, // Mvdol
	{Alpha: "BRL", Numeric: 986, Exponent: 2}, // Brazilian Real
	{Alpha: "BSD", Numeric: 44, Exponent: 2},  // Bahamian Dollar
	{Alpha: "BTN", Numeric: 64, Exponent: 2},  // Ngultrum
	{Alpha: "BWP", Numeric: 72, Exponent: 2},  // Pula
	{Alpha: "BYN", Numeric: 933, Exponent: 2}, // Belarusian Ruble
	{Alpha: "BZD", Numeric: 84, Exponent: 2},  // Belize Dollar
	{Alpha: "CAD", Numeric: 124, Exponent: 2}, // Canadian Dollar
	{Alpha: "CDF", Numeric: 976, Exponent: 2}, // Congolese Franc
	{Alpha: "CHE", Numeric: 947, Exponent: 2}, // WIR Euro
	{Alpha: "CHF", Numeric: 756, Exponent: 2}, // Swiss Franc
	{Alpha: "CHW", Numeric: 948, Exponent: 2}, // WIR Franc
	{Alpha: "CLF", Numeric: 990, Exponent: 4}, // Unidad de Fomento
	{Alpha: "CLP", Numeric: 152, Exponent: 0}, // Chilean Peso
	{Alpha: "CNY", Numeric: 156, Exponent: 2}, // Yuan Renminbi
	{Alpha: "COP", Numeric: 170, Exponent: 2}, // Colombian Peso
	{Alpha: "COU", Numeric: 970, Exponent: 2}, // Unidad de Valor Real
	{Alpha: "CRC", Numeric: 188, Exponent: 2}, // Costa Rican Colon
	{Alpha: "CUC", Numeric: 931, Exponent: 2}, // Peso Convertible
	{Alpha: "CUP", Numeric: 192, Exponent: 2}, // Cuban Peso
	{Alpha: "CVE", Numeric: 132, Exponent: 2}, // Cabo Verde Escudo
	{Alpha: "CZK", Numeric: 203, Exponent: 2}, // Czech Koruna
	{Alpha: "DJF", Numeric: 262, Exponent: 0}, // Djibouti Franc
	{Alpha: "DKK", Numeric: 208, Exponent: 2}, // Danish Krone
	{Alpha: "DOP", Numeric: 214, Exponent: 2}, // Dominican Peso
	{Alpha: "DZD", Numeric: 12, Exponent: 2},  // Algerian Dinar
	{Alpha: "EGP", Numeric: 818, Exponent: 2}, // Egyptian Pound
	{Alpha: "ERN", Numeric: 232, Exponent: 2}, // Nakfa
	{Alpha: "ETB", Numeric: 230, Exponent: 2}, // Ethiopian Birr
	{Alpha: "EUR", Numeric: 978, Exponent: 2}, // Euro
	{Alpha: "FJD", Numeric: 242, Exponent: 2}, // Fiji Dollar
	{Alpha: "FKP", Numeric: 238, Exponent: 2}, // Falkland Islands Pound
	{Alpha: "GBP", Numeric: 826, Exponent: 2}, // Pound Sterling
	{Alpha: "GEL", Numeric: 981, Exponent: 2}, // Lari
	{Alpha: "GHS", Numeric: 936, Exponent: 2}, // Ghana Cedi
	{Alpha: "GIP", Numeric: 292, Exponent: 2}, // Gibraltar Pound
	{Alpha: "GMD", Numeric: 270, Exponent: 2}, // Dalasi
	{Alpha: "GNF", Numeric: 324, Exponent: 0}, // Guinean Franc
	{Alpha: "GTQ", Numeric: 320, Exponent: 2}, // Quetzal
	{Alpha: "GYD", Numeric: 328, Exponent: 2}, // Guyana Dollar
	{Alpha: "HKD", Numeric: 344, Exponent: 2}, // Hong Kong Dollar
	{Alpha: "HNL", Numeric: 340, Exponent: 2}, // Lempira
	{Alpha: "HRK", Numeric: 191, Exponent: 2}, // Kuna
	{Alpha: "HTG", Numeric: 332, Exponent: 2}, // Gourde
	{Alpha: "HUF", Numeric: 348, Exponent: 2}, // Forint
	{Alpha: "IDR", Numeric: 360, Exponent: 2}, // Rupiah
	{Alpha: "ILS", Numeric: 376, Exponent: 2}, // New Israeli Sheqel
	{Alpha: "INR", Numeric: 356, Exponent: 2}, // Indian Rupee
	{Alpha: "IQD", Numeric: 368, Exponent: 3}, // Iraqi Dinar
	{Alpha: "IRR", Numeric: 364, Exponent: 2}, // Iranian Rial
	{Alpha: "ISK", Numeric: 352, Exponent: 0}, // Iceland Krona
	{Alpha: "JMD", Numeric: 388, Exponent: 2}, // Jamaican Dollar
	{Alpha: "JOD", Numeric: 400, Exponent: 3}, // Jordanian Dinar
	{Alpha: "JPY", Numeric: 392, Exponent: 0}, // Yen
	{Alpha: "KES", Numeric: 404, Exponent: 2}, // Kenyan Shilling
	{Alpha: "KGS", Numeric: 417, Exponent: 2}, // Som
	{Alpha: "KHR", Numeric: 116, Exponent: 2}, // Riel
	{Alpha: "KMF", Numeric: 174, Exponent: 0}, // Comorian Franc
	{Alpha: "KPW", Numeric: 408, Exponent: 2}, // North Korean Won
	{Alpha: "KRW", Numeric: 410, Exponent: 0}, // Won
	{Alpha: "KWD", Numeric: 414, Exponent: 3}, // Kuwaiti Dinar
	{Alpha: "KYD", Numeric: 136, Exponent: 2}, // Cayman Islands Dollar
	{Alpha: "KZT", Numeric: 398, Exponent: 2}, // Tenge
	{Alpha: "LAK", Numeric: 418, Exponent: 2}, // Lao Kip
	{Alpha: "LBP", Numeric: 422, Exponent: 2}, // Lebanese Pound
	{Alpha: "LKR", Numeric: 144, Exponent: 2}, // Sri Lanka Rupee
	{Alpha: "LRD", Numeric: 430, Exponent: 2}, // Liberian Dollar
	{Alpha: "LSL", Numeric: 426, Exponent: 2}, // Loti
	{Alpha: "LYD", Numeric: 434, Exponent: 3}, // Libyan Dinar
	{Alpha: "MAD", Numeric: 504, Exponent: 2}, // Moroccan Dirham
	{Alpha: "MDL", Numeric: 498, Exponent: 2}, // Moldovan Leu
	{Alpha: "MGA", Numeric: 969, Exponent: 2}, // Malagasy Ariary
	{Alpha: "MKD", Numeric: 807, Exponent: 2}, // Denar
	{Alpha: "MMK", Numeric: 104, Exponent: 2}, // Kyat
	{Alpha: "MNT", Numeric: 496, Exponent: 2}, // Tugrik
	{Alpha: "MOP", Numeric: 446, Exponent: 2}, // Pataca
	{Alpha: "MRU", Numeric: 929, Exponent: 2}, // Ouguiya
	{Alpha: "MUR", Numeric: 480, Exponent: 2}, // Mauritius Rupee
	{Alpha: "MVR", Numeric: 462, Exponent: 2}, // Rufiyaa
	{Alpha: "MWK", Numeric: 454, Exponent: 2}, // Malawi Kwacha
	{Alpha: "MXN", Numeric: 484, Exponent: 2}, // Mexican Peso
	{Alpha: "MXV", Numeric: 979, Exponent: 2}, // Mexican Unidad de Inversion (UDI)
	{Alpha: "MYR", Numeric: 458, Exponent: 2}, // Malaysian Ringgit
	{Alpha: "MZN", Numeric: 943, Exponent: 2}, // Mozambique Metical
	{Alpha: "NAD", Numeric: 516, Exponent: 2}, // Namibia Dollar
	{Alpha: "NGN", Numeric: 566, Exponent: 2}, // Naira
	{Alpha: "NIO", Numeric: 558, Exponent: 2}, // Cordoba Oro
	{Alpha: "NOK", Numeric: 578, Exponent: 2}, // Norwegian Krone
	{Alpha: "NPR", Numeric: 524, Exponent: 2}, // Nepalese Rupee
	{Alpha: "NZD", Numeric: 554, Exponent: 2}, // New Zealand Dollar
	{Alpha: "OMR", Numeric: 512, Exponent: 3}, // Rial Omani
	{Alpha: "PAB", Numeric: 590, Exponent: 2}, // Balboa
	{Alpha: "PEN", Numeric: 604, Exponent: 2}, // Sol
	{Alpha: "PGK", Numeric: 598, Exponent: 2}, // Kina
	{Alpha: "PHP", Numeric: 608, Exponent: 2}, // Philippine Peso
	{Alpha: "PKR", Numeric: 586, Exponent: 2}, // Pakistan Rupee
	{Alpha: "PLN", Numeric: 985, Exponent: 2}, // Zloty
	{Alpha: "PYG", Numeric: 600, Exponent: 0}, // Guarani
	{Alpha: "QAR", Numeric: 634, Exponent: 2}, // Qatari Rial
	{Alpha: "RON", Numeric: 946, Exponent: 2}, // Romanian Leu
	{Alpha: "RSD", Numeric: 941, Exponent: 2}, // Serbian Dinar
	{Alpha: "RUB", Numeric: 643, Exponent: 2}, // Russian Ruble
	{Alpha: "RWF", Numeric: 646, Exponent: 0}, // Rwanda Franc
	{Alpha: "SAR", Numeric: 682, Exponent: 2}, // Saudi Riyal
	{Alpha: "SBD", Numeric: 90, Exponent: 2},  // Solomon Islands Dollar
	{Alpha: "SCR", Numeric: 690, Exponent: 2}, // Seychelles Rupee
	{Alpha: "SDG", Numeric: 938, Exponent: 2}, // Sudanese Pound
	{Alpha: "SEK", Numeric: 752, Exponent: 2}, // Swedish Krona
	{Alpha: "SGD", Numeric: 702, Exponent: 2}, // Singapore Dollar
	{Alpha: "SHP", Numeric: 654, Exponent: 2}, // Saint Helena Pound
	{Alpha: "SLE", Numeric: 925, Exponent: 2}, // Leone
	{Alpha: "SLL", Numeric: 694, Exponent: 2}, // Leone
	{Alpha: "SOS", Numeric: 706, Exponent: 2}, // Somali Shilling
	{Alpha: "SRD", Numeric: 968, Exponent: 2}, // Surinam Dollar
	{Alpha: "SSP", Numeric: 728, Exponent: 2}, // South Sudanese Pound
	{Alpha: "STN", Numeric: 930, Exponent: 2}, // Dobra
	{Alpha: "SVC", Numeric: 222, Exponent: 2}, // El Salvador Colon
	{Alpha: "SYP", Numeric: 760, Exponent: 2}, // Syrian Pound
	{Alpha: "SZL", Numeric: 748, Exponent: 2}, // Lilangeni
	{Alpha: "THB", Numeric: 764, Exponent: 2}, // Baht
	{Alpha: "TJS", Numeric: 972, Exponent: 2}, // Somoni
	{Alpha: "TMT", Numeric: 934, Exponent: 2}, // Turkmenistan New Manat
	{Alpha: "TND", Numeric: 788, Exponent: 3}, // Tunisian Dinar
	{Alpha: "TOP", Numeric: 776, Exponent: 2}, // Pa’anga
	{Alpha: "TRY", Numeric: 949, Exponent: 2}, // Turkish Lira
	{Alpha: "TTD", Numeric: 780, Exponent: 2}, // Trinidad and Tobago Dollar
	{Alpha: "TWD", Numeric: 901, Exponent: 2}, // New Taiwan Dollar
	{Alpha: "TZS", Numeric: 834, Exponent: 2}, // Tanzanian Shilling
	{Alpha: "UAH", Numeric: 980, Exponent: 2}, // Hryvnia
	{Alpha: "UGX", Numeric: 800, Exponent: 0}, // Uganda Shilling
	{Alpha: "USD", Numeric: 840, Exponent: 2}, // US Dollar
	{Alpha: "USN", Numeric: 997, Exponent: 2}, // US Dollar (Next day)
	{Alpha: "UYI", Numeric: 940, Exponent: 0}, // Uruguay Peso en Unidades Indexadas (UI)
	{Alpha: "UYU", Numeric: 858, Exponent: 2}, // Peso Uruguayo
	{Alpha: "UYW", Numeric: 927, Exponent: 4}, // Unidad Previsional
	{Alpha: "UZS", Numeric: 860, Exponent: 2}, // Uzbekistan Sum
	{Alpha: "VED", Numeric: 926, Exponent: 2}, // Bolívar Soberano
	{Alpha: "VES", Numeric: 928, Exponent: 2}, // Bolívar Soberano
	{Alpha: "VND", Numeric: 704, Exponent: 0}, // Dong
	{Alpha: "VUV", Numeric: 548, Exponent: 0}, // Vatu
	{Alpha: "WST", Numeric: 882, Exponent: 2}, // Tala
	{Alpha: "XAF", Numeric: 950, Exponent: 0}, // CFA Franc BEAC
	{Alpha: "XCD", Numeric: 951, Exponent: 2}, // East Caribbean Dollar
	{Alpha: "XOF", Numeric: 952, Exponent: 0}, // CFA Franc BCEAO
	{Alpha: "XPF", Numeric: 953, Exponent: 0}, // CFP Franc
	{Alpha: "YER", Numeric: 886, Exponent: 2}, // Yemeni Rial
	{Alpha: "ZAR", Numeric: 710, Exponent: 2}, // Rand
	{Alpha: "ZMW", Numeric: 967, Exponent: 2}, // Zambian Kwacha
	{Alpha: "ZWL", Numeric: 932, Exponent: 2}, // Zimbabwe Dollar
}
