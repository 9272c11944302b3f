package spec

import (
	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// Visa BASE I (V.I.P.) as this project speaks it: shared/wire-spec.md §2–3.
// MTI packed BCD, binary bitmaps, numerics packed BCD with a 1-byte binary
// length for variable ones, text in EBCDIC code page 037.

// Positional parts of Visa fields, in wire order.
var (
	visa43Parts = []part{{1, 25, "name"}, {26, 13, "city"}, {39, 2, "country"}}
	visa44Parts = []part{
		{1, 1, "response_source"}, {2, 1, "address_verification_result"}, {3, 2, "pos_3_4"},
		{5, 1, "cvv_result"}, {6, 4, "pos_6_9"}, {10, 1, "cvv2_result"}, {11, 15, "pos_11_25"},
	}
	// visa60Parts are digits of a packed field: not a moov composite
	// (odd-length parts), split by the canonical mapping.
	visa60Parts = []part{
		{1, 1, "terminal_type"}, {2, 1, "terminal_entry_capability"}, {3, 1, "chip_condition_code"},
		{4, 5, "pos_4_8"}, {9, 2, "ecommerce_indicator"}, {11, 1, "pos_11"}, {12, 1, "partial_approval_support"},
	}
	// field90Parts: original data elements, both networks (Visa: packed, a
	// string; Mastercard: EBCDIC digits, a composite).
	field90Parts = []part{
		{1, 4, "original_mti"}, {5, 6, "original_stan"}, {11, 10, "original_transmission_datetime"},
		{21, 11, "original_acquirer_id"}, {32, 11, "original_forwarding_id"},
	}
	field95Parts = []part{
		{1, 12, "actual_amount"}, {13, 12, "actual_settlement_amount"},
		{25, 12, "actual_billing_amount"}, {37, 6, "zeros"},
	}
	// field54GroupParts: one 20-character group of additional amounts.
	field54GroupParts = []part{
		{1, 2, "account_type"}, {3, 2, "amount_type"}, {5, 3, "currency"}, {8, 1, "sign"}, {9, 12, "amount"},
	}
)

// visaSpec is the Visa BASE I message spec (read it through Spec).
var visaSpec = &iso8583.MessageSpec{
	Name: "Visa BASE I",
	Fields: map[int]field.Field{
		0:  bcdFixed(4, "Message type indicator"),
		1:  messageBitmap(),
		2:  bcdL(19, "Primary account number"),
		3:  bcdFixed(6, "Processing code"),
		4:  bcdFixed(12, "Amount, transaction"),
		6:  bcdFixed(12, "Amount, cardholder billing"),
		7:  bcdFixed(10, "Transmission date and time"),
		11: bcdFixed(6, "System trace audit number"),
		12: bcdFixed(6, "Local transaction time"),
		13: bcdFixed(4, "Local transaction date"),
		14: bcdFixed(4, "Expiration date"),
		18: bcdFixed(4, "Merchant category code"),
		19: bcdFixed(3, "Acquiring institution country code"),
		22: bcdFixed(4, "POS entry mode"),
		23: bcdFixed(3, "Card sequence number"),
		25: bcdFixed(2, "POS condition code"),
		32: bcdL(11, "Acquiring institution id"),
		35: track2L(37, "Track 2 data"),
		37: textFixed(12, "Retrieval reference number"),
		38: textFixed(6, "Authorization id response"),
		39: textFixed(2, "Response code"),
		41: textFixed(8, "Card acceptor terminal id"),
		42: textFixed(15, "Card acceptor id"),
		43: positional("Card acceptor name/location", visa43Parts, true, false, fixedLength),
		44: positional("Additional response data", visa44Parts, false, false, binaryL),
		49: bcdFixed(3, "Currency code, transaction"),
		51: bcdFixed(3, "Currency code, cardholder billing"),
		52: binaryFixed(8, "PIN block"),
		54: textL(120, "Additional amounts"),
		60: bcdL(12, "Additional POS information"),
		62: bitmapped("Custom payment service fields", 8, map[string]field.Field{
			"1": textFixed(1, "Authorization characteristics indicator"),
			"2": bcdFixed(15, "Transaction identifier"),
			"3": textFixed(4, "Validation code"),
		}),
		63: bitmapped("V.I.P. private use", 3, map[string]field.Field{
			"1": bcdFixed(4, "Network id"),
			"3": bcdFixed(4, "Message reason code"),
			"4": bcdFixed(4, "STIP/switch reason code"),
		}),
		70: bcdFixed(3, "Network management information code"),
		90: bcdFixed(42, "Original data elements"),
		95: positional("Replacement amounts", field95Parts, true, false, fixedLength),
		126: bitmapped("Visa private use", 8, map[string]field.Field{
			"10": textFixed(6, "CVV2 request data"),
		}),
	},
}
