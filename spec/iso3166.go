package spec

// ISO 3166-1 countries: alpha-2, alpha-3 and numeric codes. Generated from
// the Debian iso-codes list (iso_3166-1.json).

var countries = [...]Country{
	{Alpha2: "AD", Alpha3: "AND", Numeric: 20},  // Andorra
	{Alpha2: "AE", Alpha3: "ARE", Numeric: 784}, // United Arab Emirates
	{Alpha2: "AF", Alpha3: "AFG", Numeric: 4},   // Afghanistan
	{Alpha2: "AG", Alpha3: "ATG", Numeric: 28},  // Antigua and Barbuda
	{Alpha2: "AI", Alpha3: "AIA", Numeric: 660}, // Anguilla
	{Alpha2: "AL", Alpha3: "ALB", Numeric: 8},   // Albania
	{Alpha2: "AM", Alpha3: "ARM", Numeric: 51},  // Armenia
	{Alpha2: "AO", Alpha3: "AGO", Numeric: 24},  // Angola
	{Alpha2: "AQ", Alpha3: "ATA", Numeric: 10},  // Antarctica
	{Alpha2: "AR", Alpha3: "ARG", Numeric: 32},  // Argentina
	{Alpha2: "AS", Alpha3: "ASM", Numeric: 16},  // American Samoa
	{Alpha2: "AT", Alpha3: "AUT", Numeric: 40},  // Austria
	{Alpha2: "AU", Alpha3: "AUS", Numeric: 36},  // Australia
	{Alpha2: "AW", Alpha3: "ABW", Numeric: 533}, // Aruba
	{Alpha2: "AX", Alpha3: "ALA", Numeric: 248}, // Åland Islands
	{Alpha2: "AZ", Alpha3: "AZE", Numeric: 31},  // Azerbaijan
	{Alpha2: "BA", Alpha3: "BIH", Numeric: 70},  // Bosnia and Herzegovina
	{Alpha2: "BB", Alpha3: "BRB", Numeric: 52},  // Barbados
	{Alpha2: "BD", Alpha3: "BGD", Numeric: 50},  // Bangladesh
	{Alpha2: "BE", Alpha3: "BEL", Numeric: 56},  // Belgium
	{Alpha2: "BF", Alpha3: "BFA", Numeric: 854}, // Burkina Faso
	{Alpha2: "BG", Alpha3: "BGR", Numeric: 100}, // Bulgaria
	{Alpha2: "BH", Alpha3: "BHR", Numeric: 48},  // Bahrain
	{Alpha2: "BI", Alpha3: "BDI", Numeric: 108}, // Burundi
	{Alpha2: "BJ", Alpha3: "BEN", Numeric: 204}, // Benin
	{Alpha2: "BL", Alpha3: "BLM", Numeric: 652}, // Saint Barthélemy
	{Alpha2: "BM", Alpha3: "BMU", Numeric: 60},  // Bermuda
	{Alpha2: "BN", Alpha3: "BRN", Numeric: 96},  // Brunei Darussalam
	{Alpha2: "BO", Alpha3: "BOL", Numeric: 68},  // Bolivia, Plurinational State of
	{Alpha2: "BQ", Alpha3: "BES", Numeric: 535}, // Bonaire, Sint Eustatius and Saba
	{Alpha2: "BR", Alpha3: "BRA", Numeric: 76},  // Brazil
	{Alpha2: "BS", Alpha3: "BHS", Numeric: 44},  // Bahamas
	{Alpha2: "BT", Alpha3: "BTN", Numeric: 64},  // Bhutan
	{Alpha2: "BV", Alpha3: "BVT", Numeric: 74},  // Bouvet Island
	{Alpha2: "BW", Alpha3: "BWA", Numeric: 72},  // Botswana
	{Alpha2: "BY", Alpha3: "BLR", Numeric: 112}, // Belarus
	{Alpha2: "BZ", Alpha3: "BLZ", Numeric: 84},  // Belize
	{Alpha2: "CA", Alpha3: "CAN", Numeric: 124}, // Canada
	{Alpha2: "CC", Alpha3: "CCK", Numeric: 166}, // Cocos (Keeling) Islands
	{Alpha2: "CD", Alpha3: "COD", Numeric: 180}, // Congo, The Democratic Republic of the
	{Alpha2: "CF", Alpha3: "CAF", Numeric: 140}, // Central African Republic
	{Alpha2: "CG", Alpha3: "COG", Numeric: 178}, // Congo
	{Alpha2: "CH", Alpha3: "CHE", Numeric: 756}, // Switzerland
	{Alpha2: "CI", Alpha3: "CIV", Numeric: 384}, // Côte d'Ivoire
	{Alpha2: "CK", Alpha3: "COK", Numeric: 184}, // Cook Islands
	{Alpha2: "CL", Alpha3: "CHL", Numeric: 152}, // Chile
	{Alpha2: "CM", Alpha3: "CMR", Numeric: 120}, // Cameroon
	{Alpha2: "CN", Alpha3: "CHN", Numeric: 156}, // China
	{Alpha2: "CO", Alpha3: "COL", Numeric: 170}, // Colombia
	{Alpha2: "CR", Alpha3: "CRI", Numeric: 188}, // Costa Rica
	{Alpha2: "CU", Alpha3: "CUB", Numeric: 192}, // Cuba
	{Alpha2: "CV", Alpha3: "CPV", Numeric: 132}, // Cabo Verde
	{Alpha2: "CW", Alpha3: "CUW", Numeric: 531}, // Curaçao
	{Alpha2: "CX", Alpha3: "CXR", Numeric: 162}, // Christmas Island
	{Alpha2: "CY", Alpha3: "CYP", Numeric: 196}, // Cyprus
	{Alpha2: "CZ", Alpha3: "CZE", Numeric: 203}, // Czechia
	{Alpha2: "DE", Alpha3: "DEU", Numeric: 276}, // Germany
	{Alpha2: "DJ", Alpha3: "DJI", Numeric: 262}, // Djibouti
	{Alpha2: "DK", Alpha3: "DNK", Numeric: 208}, // Denmark
	{Alpha2: "DM", Alpha3: "DMA", Numeric: 212}, // Dominica
	{Alpha2: "DO", Alpha3: "DOM", Numeric: 214}, // Dominican Republic
	{Alpha2: "DZ", Alpha3: "DZA", Numeric: 12},  // Algeria
	{Alpha2: "EC", Alpha3: "ECU", Numeric: 218}, // Ecuador
	{Alpha2: "EE", Alpha3: "EST", Numeric: 233}, // Estonia
	{Alpha2: "EG", Alpha3: "EGY", Numeric: 818}, // Egypt
	{Alpha2: "EH", Alpha3: "ESH", Numeric: 732}, // Western Sahara
	{Alpha2: "ER", Alpha3: "ERI", Numeric: 232}, // Eritrea
	{Alpha2: "ES", Alpha3: "ESP", Numeric: 724}, // Spain
	{Alpha2: "ET", Alpha3: "ETH", Numeric: 231}, // Ethiopia
	{Alpha2: "FI", Alpha3: "FIN", Numeric: 246}, // Finland
	{Alpha2: "FJ", Alpha3: "FJI", Numeric: 242}, // Fiji
	{Alpha2: "FK", Alpha3: "FLK", Numeric: 238}, // Falkland Islands (Malvinas)
	{Alpha2: "FM", Alpha3: "FSM", Numeric: 583}, // Micronesia, Federated States of
	{Alpha2: "FO", Alpha3: "FRO", Numeric: 234}, // Faroe Islands
	{Alpha2: "FR", Alpha3: "FRA", Numeric: 250}, // France
	{Alpha2: "GA", Alpha3: "GAB", Numeric: 266}, // Gabon
	{Alpha2: "GB", Alpha3: "GBR", Numeric: 826}, // United Kingdom
	{Alpha2: "GD", Alpha3: "GRD", Numeric: 308}, // Grenada
	{Alpha2: "GE", Alpha3: "GEO", Numeric: 268}, // Georgia
	{Alpha2: "GF", Alpha3: "GUF", Numeric: 254}, // French Guiana
	{Alpha2: "GG", Alpha3: "GGY", Numeric: 831}, // Guernsey
	{Alpha2: "GH", Alpha3: "GHA", Numeric: 288}, // Ghana
	{Alpha2: "GI", Alpha3: "GIB", Numeric: 292}, // Gibraltar
	{Alpha2: "GL", Alpha3: "GRL", Numeric: 304}, // Greenland
	{Alpha2: "GM", Alpha3: "GMB", Numeric: 270}, // Gambia
	{Alpha2: "GN", Alpha3: "GIN", Numeric: 324}, // Guinea
	{Alpha2: "GP", Alpha3: "GLP", Numeric: 312}, // Guadeloupe
	{Alpha2: "GQ", Alpha3: "GNQ", Numeric: 226}, // Equatorial Guinea
	{Alpha2: "GR", Alpha3: "GRC", Numeric: 300}, // Greece
	{Alpha2: "GS", Alpha3: "SGS", Numeric: 239}, // South Georgia and the South Sandwich Islands
	{Alpha2: "GT", Alpha3: "GTM", Numeric: 320}, // Guatemala
	{Alpha2: "GU", Alpha3: "GUM", Numeric: 316}, // Guam
	{Alpha2: "GW", Alpha3: "GNB", Numeric: 624}, // Guinea-Bissau
	{Alpha2: "GY", Alpha3: "GUY", Numeric: 328}, // Guyana
	{Alpha2: "HK", Alpha3: "HKG", Numeric: 344}, // Hong Kong
	{Alpha2: "HM", Alpha3: "HMD", Numeric: 334}, // Heard Island and McDonald Islands
	{Alpha2: "HN", Alpha3: "HND", Numeric: 340}, // Honduras
	{Alpha2: "HR", Alpha3: "HRV", Numeric: 191}, // Croatia
	{Alpha2: "HT", Alpha3: "HTI", Numeric: 332}, // Haiti
	{Alpha2: "HU", Alpha3: "HUN", Numeric: 348}, // Hungary
	{Alpha2: "ID", Alpha3: "IDN", Numeric: 360}, // Indonesia
	{Alpha2: "IE", Alpha3: "IRL", Numeric: 372}, // Ireland
	{Alpha2: "IL", Alpha3: "ISR", Numeric: 376}, // Israel
	{Alpha2: "IM", Alpha3: "IMN", Numeric: 833}, // Isle of Man
	{Alpha2: "IN", Alpha3: "IND", Numeric: 356}, // India
	{Alpha2: "IO", Alpha3: "IOT", Numeric: 86},  // British Indian Ocean Territory
	{Alpha2: "IQ", Alpha3: "IRQ", Numeric: 368}, // Iraq
	{Alpha2: "IR", Alpha3: "IRN", Numeric: 364}, // Iran, Islamic Republic of
	{Alpha2: "IS", Alpha3: "ISL", Numeric: 352}, // Iceland
	{Alpha2: "IT", Alpha3: "ITA", Numeric: 380}, // Italy
	{Alpha2: "JE", Alpha3: "JEY", Numeric: 832}, // Jersey
	{Alpha2: "JM", Alpha3: "JAM", Numeric: 388}, // Jamaica
	{Alpha2: "JO", Alpha3: "JOR", Numeric: 400}, // Jordan
	{Alpha2: "JP", Alpha3: "JPN", Numeric: 392}, // Japan
	{Alpha2: "KE", Alpha3: "KEN", Numeric: 404}, // Kenya
	{Alpha2: "KG", Alpha3: "KGZ", Numeric: 417}, // Kyrgyzstan
	{Alpha2: "KH", Alpha3: "KHM", Numeric: 116}, // Cambodia
	{Alpha2: "KI", Alpha3: "KIR", Numeric: 296}, // Kiribati
	{Alpha2: "KM", Alpha3: "COM", Numeric: 174}, // Comoros
	{Alpha2: "KN", Alpha3: "KNA", Numeric: 659}, // Saint Kitts and Nevis
	{Alpha2: "KP", Alpha3: "PRK", Numeric: 408}, // Korea, Democratic People's Republic of
	{Alpha2: "KR", Alpha3: "KOR", Numeric: 410}, // Korea, Republic of
	{Alpha2: "KW", Alpha3: "KWT", Numeric: 414}, // Kuwait
	{Alpha2: "KY", Alpha3: "CYM", Numeric: 136}, // Cayman Islands
	{Alpha2: "KZ", Alpha3: "KAZ", Numeric: 398}, // Kazakhstan
	{Alpha2: "LA", Alpha3: "LAO", Numeric: 418}, // Lao People's Democratic Republic
	{Alpha2: "LB", Alpha3: "LBN", Numeric: 422}, // Lebanon
	{Alpha2: "LC", Alpha3: "LCA", Numeric: 662}, // Saint Lucia
	{Alpha2: "LI", Alpha3: "LIE", Numeric: 438}, // Liechtenstein
	{Alpha2: "LK", Alpha3: "LKA", Numeric: 144}, // Sri Lanka
	{Alpha2: "LR", Alpha3: "LBR", Numeric: 430}, // Liberia
	{Alpha2: "LS", Alpha3: "LSO", Numeric: 426}, // Lesotho
	{Alpha2: "LT", Alpha3: "LTU", Numeric: 440}, // Lithuania
	{Alpha2: "LU", Alpha3: "LUX", Numeric: 442}, // Luxembourg
	{Alpha2: "LV", Alpha3: "LVA", Numeric: 428}, // Latvia
	{Alpha2: "LY", Alpha3: "LBY", Numeric: 434}, // Libya
	{Alpha2: "MA", Alpha3: "MAR", Numeric: 504}, // Morocco
	{Alpha2: "MC", Alpha3: "MCO", Numeric: 492}, // Monaco
	{Alpha2: "MD", Alpha3: "MDA", Numeric: 498}, // Moldova, Republic of
	{Alpha2: "ME", Alpha3: "MNE", Numeric: 499}, // Montenegro
	{Alpha2: "MF", Alpha3: "MAF", Numeric: 663}, // Saint Martin (French part)
	{Alpha2: "MG", Alpha3: "MDG", Numeric: 450}, // Madagascar
	{Alpha2: "MH", Alpha3: "MHL", Numeric: 584}, // Marshall Islands
	{Alpha2: "MK", Alpha3: "MKD", Numeric: 807}, // North Macedonia
	{Alpha2: "ML", Alpha3: "MLI", Numeric: 466}, // Mali
	{Alpha2: "MM", Alpha3: "MMR", Numeric: 104}, // Myanmar
	{Alpha2: "MN", Alpha3: "MNG", Numeric: 496}, // Mongolia
	{Alpha2: "MO", Alpha3: "MAC", Numeric: 446}, // Macao
	{Alpha2: "MP", Alpha3: "MNP", Numeric: 580}, // Northern Mariana Islands
	{Alpha2: "MQ", Alpha3: "MTQ", Numeric: 474}, // Martinique
	{Alpha2: "MR", Alpha3: "MRT", Numeric: 478}, // Mauritania
	{Alpha2: "MS", Alpha3: "MSR", Numeric: 500}, // Montserrat
	{Alpha2: "MT", Alpha3: "MLT", Numeric: 470}, // Malta
	{Alpha2: "MU", Alpha3: "MUS", Numeric: 480}, // Mauritius
	{Alpha2: "MV", Alpha3: "MDV", Numeric: 462}, // Maldives
	{Alpha2: "MW", Alpha3: "MWI", Numeric: 454}, // Malawi
	{Alpha2: "MX", Alpha3: "MEX", Numeric: 484}, // Mexico
	{Alpha2: "MY", Alpha3: "MYS", Numeric: 458}, // Malaysia
	{Alpha2: "MZ", Alpha3: "MOZ", Numeric: 508}, // Mozambique
	{Alpha2: "NA", Alpha3: "NAM", Numeric: 516}, // Namibia
	{Alpha2: "NC", Alpha3: "NCL", Numeric: 540}, // New Caledonia
	{Alpha2: "NE", Alpha3: "NER", Numeric: 562}, // Niger
	{Alpha2: "NF", Alpha3: "NFK", Numeric: 574}, // Norfolk Island
	{Alpha2: "NG", Alpha3: "NGA", Numeric: 566}, // Nigeria
	{Alpha2: "NI", Alpha3: "NIC", Numeric: 558}, // Nicaragua
	{Alpha2: "NL", Alpha3: "NLD", Numeric: 528}, // Netherlands
	{Alpha2: "NO", Alpha3: "NOR", Numeric: 578}, // Norway
	{Alpha2: "NP", Alpha3: "NPL", Numeric: 524}, // Nepal
	{Alpha2: "NR", Alpha3: "NRU", Numeric: 520}, // Nauru
	{Alpha2: "NU", Alpha3: "NIU", Numeric: 570}, // Niue
	{Alpha2: "NZ", Alpha3: "NZL", Numeric: 554}, // New Zealand
	{Alpha2: "OM", Alpha3: "OMN", Numeric: 512}, // Oman
	{Alpha2: "PA", Alpha3: "PAN", Numeric: 591}, // Panama
	{Alpha2: "PE", Alpha3: "PER", Numeric: 604}, // Peru
	{Alpha2: "PF", Alpha3: "PYF", Numeric: 258}, // French Polynesia
	{Alpha2: "PG", Alpha3: "PNG", Numeric: 598}, // Papua New Guinea
	{Alpha2: "PH", Alpha3: "PHL", Numeric: 608}, // Philippines
	{Alpha2: "PK", Alpha3: "PAK", Numeric: 586}, // Pakistan
	{Alpha2: "PL", Alpha3: "POL", Numeric: 616}, // Poland
	{Alpha2: "PM", Alpha3: "SPM", Numeric: 666}, // Saint Pierre and Miquelon
	{Alpha2: "PN", Alpha3: "PCN", Numeric: 612}, // Pitcairn
	{Alpha2: "PR", Alpha3: "PRI", Numeric: 630}, // Puerto Rico
	{Alpha2: "PS", Alpha3: "PSE", Numeric: 275}, // Palestine, State of
	{Alpha2: "PT", Alpha3: "PRT", Numeric: 620}, // Portugal
	{Alpha2: "PW", Alpha3: "PLW", Numeric: 585}, // Palau
	{Alpha2: "PY", Alpha3: "PRY", Numeric: 600}, // Paraguay
	{Alpha2: "QA", Alpha3: "QAT", Numeric: 634}, // Qatar
	{Alpha2: "RE", Alpha3: "REU", Numeric: 638}, // Réunion
	{Alpha2: "RO", Alpha3: "ROU", Numeric: 642}, // Romania
	{Alpha2: "RS", Alpha3: "SRB", Numeric: 688}, // Serbia
	{Alpha2: "RU", Alpha3: "RUS", Numeric: 643}, // Russian Federation
	{Alpha2: "RW", Alpha3: "RWA", Numeric: 646}, // Rwanda
	{Alpha2: "SA", Alpha3: "SAU", Numeric: 682}, // Saudi Arabia
	{Alpha2: "SB", Alpha3: "SLB", Numeric: 90},  // Solomon Islands
	{Alpha2: "SC", Alpha3: "SYC", Numeric: 690}, // Seychelles
	{Alpha2: "SD", Alpha3: "SDN", Numeric: 729}, // Sudan
	{Alpha2: "SE", Alpha3: "SWE", Numeric: 752}, // Sweden
	{Alpha2: "SG", Alpha3: "SGP", Numeric: 702}, // Singapore
	{Alpha2: "SH", Alpha3: "SHN", Numeric: 654}, // Saint Helena, Ascension and Tristan da Cunha
	{Alpha2: "SI", Alpha3: "SVN", Numeric: 705}, // Slovenia
	{Alpha2: "SJ", Alpha3: "SJM", Numeric: 744}, // Svalbard and Jan Mayen
	{Alpha2: "SK", Alpha3: "SVK", Numeric: 703}, // Slovakia
	{Alpha2: "SL", Alpha3: "SLE", Numeric: 694}, // Sierra Leone
	{Alpha2: "SM", Alpha3: "SMR", Numeric: 674}, // San Marino
	{Alpha2: "SN", Alpha3: "SEN", Numeric: 686}, // Senegal
	{Alpha2: "SO", Alpha3: "SOM", Numeric: 706}, // Somalia
	{Alpha2: "SR", Alpha3: "SUR", Numeric: 740}, // Suriname
	{Alpha2: "SS", Alpha3: "SSD", Numeric: 728}, // South Sudan
	{Alpha2: "ST", Alpha3: "STP", Numeric: 678}, // Sao Tome and Principe
	{Alpha2: "SV", Alpha3: "SLV", Numeric: 222}, // El Salvador
	{Alpha2: "SX", Alpha3: "SXM", Numeric: 534}, // Sint Maarten (Dutch part)
	{Alpha2: "SY", Alpha3: "SYR", Numeric: 760}, // Syrian Arab Republic
	{Alpha2: "SZ", Alpha3: "SWZ", Numeric: 748}, // Eswatini
	{Alpha2: "TC", Alpha3: "TCA", Numeric: 796}, // Turks and Caicos Islands
	{Alpha2: "TD", Alpha3: "TCD", Numeric: 148}, // Chad
	{Alpha2: "TF", Alpha3: "ATF", Numeric: 260}, // French Southern Territories
	{Alpha2: "TG", Alpha3: "TGO", Numeric: 768}, // Togo
	{Alpha2: "TH", Alpha3: "THA", Numeric: 764}, // Thailand
	{Alpha2: "TJ", Alpha3: "TJK", Numeric: 762}, // Tajikistan
	{Alpha2: "TK", Alpha3: "TKL", Numeric: 772}, // Tokelau
	{Alpha2: "TL", Alpha3: "TLS", Numeric: 626}, // Timor-Leste
	{Alpha2: "TM", Alpha3: "TKM", Numeric: 795}, // Turkmenistan
	{Alpha2: "TN", Alpha3: "TUN", Numeric: 788}, // Tunisia
	{Alpha2: "TO", Alpha3: "TON", Numeric: 776}, // Tonga
	{Alpha2: "TR", Alpha3: "TUR", Numeric: 792}, // Türkiye
	{Alpha2: "TT", Alpha3: "TTO", Numeric: 780}, // Trinidad and Tobago
	{Alpha2: "TV", Alpha3: "TUV", Numeric: 798}, // Tuvalu
	{Alpha2: "TW", Alpha3: "TWN", Numeric: 158}, // Taiwan, Province of China
	{Alpha2: "TZ", Alpha3: "TZA", Numeric: 834}, // Tanzania, United Republic of
	{Alpha2: "UA", Alpha3: "UKR", Numeric: 804}, // Ukraine
	{Alpha2: "UG", Alpha3: "UGA", Numeric: 800}, // Uganda
	{Alpha2: "UM", Alpha3: "UMI", Numeric: 581}, // United States Minor Outlying Islands
	{Alpha2: "US", Alpha3: "USA", Numeric: 840}, // United States
	{Alpha2: "UY", Alpha3: "URY", Numeric: 858}, // Uruguay
	{Alpha2: "UZ", Alpha3: "UZB", Numeric: 860}, // Uzbekistan
	{Alpha2: "VA", Alpha3: "VAT", Numeric: 336}, // Holy See (Vatican City State)
	{Alpha2: "VC", Alpha3: "VCT", Numeric: 670}, // Saint Vincent and the Grenadines
	{Alpha2: "VE", Alpha3: "VEN", Numeric: 862}, // Venezuela, Bolivarian Republic of
	{Alpha2: "VG", Alpha3: "VGB", Numeric: 92},  // Virgin Islands, British
	{Alpha2: "VI", Alpha3: "VIR", Numeric: 850}, // Virgin Islands, U.S.
	{Alpha2: "VN", Alpha3: "VNM", Numeric: 704}, // Viet Nam
	{Alpha2: "VU", Alpha3: "VUT", Numeric: 548}, // Vanuatu
	{Alpha2: "WF", Alpha3: "WLF", Numeric: 876}, // Wallis and Futuna
	{Alpha2: "WS", Alpha3: "WSM", Numeric: 882}, // Samoa
	{Alpha2: "YE", Alpha3: "YEM", Numeric: 887}, // Yemen
	{Alpha2: "YT", Alpha3: "MYT", Numeric: 175}, // Mayotte
	{Alpha2: "ZA", Alpha3: "ZAF", Numeric: 710}, // South Africa
	{Alpha2: "ZM", Alpha3: "ZMB", Numeric: 894}, // Zambia
	{Alpha2: "ZW", Alpha3: "ZWE", Numeric: 716}, // Zimbabwe
}
