package spec

import (
	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/sort"
)

// Mastercard CIS (Banknet) as this project speaks it: shared/wire-spec.md §4.
// Everything is EBCDIC code page 037 except the bitmaps and the PIN block;
// LL/LLL prefixes are EBCDIC digits.

var (
	// mc43Parts: name, a space, city, a space, country alpha-3.
	mc43Parts = []part{{1, 22, "name"}, {23, 1, ""}, {24, 13, "city"}, {37, 1, ""}, {38, 3, "country"}}
	mc60Parts = []part{{1, 3, "advice_reason"}, {4, 57, "advice_detail"}}
	mc61Parts = []part{
		{1, 1, "terminal_attendance"}, {2, 1, "pos_2"}, {3, 1, "terminal_location"},
		{4, 1, "cardholder_presence"}, {5, 1, "card_presence"}, {6, 1, "pos_6"},
		{7, 1, "transaction_status"}, {8, 2, "pos_8_9"}, {10, 1, "cat_level"},
		{11, 1, "card_data_input_capability"}, {12, 2, "pos_12_13"},
		{14, 3, "pos_country_code"}, {17, 10, "postal_code"},
	}
	mc63Parts = []part{{1, 3, "financial_network_code"}, {4, 47, "banknet_reference"}}
)

// mastercardSpec is the Mastercard CIS message spec (read it through Spec).
var mastercardSpec = &iso8583.MessageSpec{
	Name: "Mastercard CIS",
	Fields: map[int]field.Field{
		0:  digitsFixed(4, "Message type indicator"),
		1:  messageBitmap(),
		2:  digitsLL(19, "Primary account number"),
		3:  digitsFixed(6, "Processing code"),
		4:  digitsFixed(12, "Amount, transaction"),
		6:  digitsFixed(12, "Amount, cardholder billing"),
		7:  digitsFixed(10, "Transmission date and time"),
		11: digitsFixed(6, "System trace audit number"),
		12: digitsFixed(6, "Local transaction time"),
		13: digitsFixed(4, "Local transaction date"),
		14: digitsFixed(4, "Expiration date"),
		15: digitsFixed(4, "Settlement date"),
		18: digitsFixed(4, "Merchant category code"),
		22: digitsFixed(3, "POS entry mode"),
		23: digitsFixed(3, "Card sequence number"),
		32: digitsLL(11, "Acquiring institution id"),
		33: digitsLL(11, "Forwarding institution id"),
		35: textLL(37, "Track 2 data"),
		37: textFixed(12, "Retrieval reference number"),
		38: textFixed(6, "Authorization id response"),
		39: textFixed(2, "Response code"),
		41: textFixed(8, "Card acceptor terminal id"),
		42: textFixed(15, "Card acceptor id"),
		43: positional("Card acceptor name/location", mc43Parts, true, false, fixedLength),
		48: field.NewComposite(&field.Spec{
			Length:      999,
			Description: "Additional data",
			Pref:        ebcdicLLL,
			Tag:         &field.TagSpec{Sort: sort.StringsByInt},
			Subfields: map[string]field.Field{
				"1": textFixed(1, "Transaction category code"),
				"2": field.NewComposite(&field.Spec{
					Length:      998,
					Description: "Subelements",
					Pref:        restOfField,
					Tag: &field.TagSpec{
						Length: 2, Enc: digitsEncoder, Sort: sort.StringsByInt,
						SkipUnknownTLVTags: true, StoreUnknownTLVTags: true, PrefUnknownTLV: ebcdicLL,
					},
					Subfields: map[string]field.Field{
						"61": textLL(5, "POS extended conditions"),
						"63": textLL(15, "Trace id"),
						"87": textLL(1, "Card validation code result"),
						"92": textLL(3, "CVC 2 value"),
					},
				}),
			},
		}),
		49: digitsFixed(3, "Currency code, transaction"),
		51: digitsFixed(3, "Currency code, cardholder billing"),
		52: binaryFixed(8, "PIN block"),
		54: textLLL(120, "Additional amounts"),
		60: positional("Advice reason code", mc60Parts, false, false, ebcdicLLL),
		61: positional("POS data", mc61Parts, false, false, ebcdicLLL),
		63: positional("Network data", mc63Parts, false, false, ebcdicLLL),
		70: digitsFixed(3, "Network management information code"),
		90: positional("Original data elements", field90Parts, true, true, fixedLength),
		95: positional("Replacement amounts", field95Parts, true, false, fixedLength),
	},
}
