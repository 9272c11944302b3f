package spec

// This file holds the canonical, network-neutral view of a request and of
// its answer. Everything above the codec (sessions, rules, ledger, feed)
// speaks these types and never a wire format.

// Network identifies the card network a message came from.
type Network uint8

const (
	NetworkUnknown Network = iota
	Visa
	Mastercard
)

// String returns the lower-case network name used in configuration, logs,
// metric labels and the feed.
func (n Network) String() string {
	switch n {
	case Visa:
		return "visa"
	case Mastercard:
		return "mastercard"
	}
	return "unknown"
}

// Kind is the message class, independent of the request/response and
// repeat digits of the MTI.
type Kind uint8

const (
	KindUnknown           Kind = iota
	KindAuthorization          // 0100/0101 → 0110
	KindAdvice                 // 0120/0121 → 0130
	KindReversal               // 0400/0401 → 0410
	KindReversalAdvice         // 0420/0421 → 0430
	KindNetworkManagement      // 0800 → 0810
)

// String returns the kind's name as used in metrics and the feed.
func (k Kind) String() string {
	switch k {
	case KindAuthorization:
		return "authorization"
	case KindAdvice:
		return "advice"
	case KindReversal:
		return "reversal"
	case KindReversalAdvice:
		return "reversal_advice"
	case KindNetworkManagement:
		return "network_management"
	}
	return "unknown"
}

// TxnType is the transaction type from the first two digits of the
// processing code (field 3).
type TxnType uint8

const (
	TxnUnsupported          TxnType = iota
	TxnPurchase                     // 00xxxx, amount > 0
	TxnCash                         // 01xxxx
	TxnPurchaseWithCashback         // 09xxxx
	TxnRefund                       // 20xxxx
	TxnBalanceInquiry               // 30xxxx
	TxnAccountVerification          // 00xxxx with amount 0
)

// String returns the transaction type's name as used in the feed and in
// program rules.
func (t TxnType) String() string {
	switch t {
	case TxnPurchase:
		return "purchase"
	case TxnCash:
		return "cash"
	case TxnPurchaseWithCashback:
		return "purchase_with_cashback"
	case TxnRefund:
		return "refund"
	case TxnBalanceInquiry:
		return "balance_inquiry"
	case TxnAccountVerification:
		return "account_verification"
	}
	return "unsupported"
}

// EntryMode is how the card data reached the terminal (field 22, with the
// e-commerce indicator of Visa 60 and Mastercard DE 22 value 81).
type EntryMode uint8

const (
	EntryUnknown EntryMode = iota
	EntryChip
	EntryContactless
	EntrySwipe
	EntryKeyed
	EntryEcommerce
)

// String returns the entry mode's name.
func (e EntryMode) String() string {
	switch e {
	case EntryChip:
		return "chip"
	case EntryContactless:
		return "contactless"
	case EntrySwipe:
		return "swipe"
	case EntryKeyed:
		return "keyed"
	case EntryEcommerce:
		return "ecommerce"
	}
	return "unknown"
}

// OriginalData is field 90: the identity of the request a reversal or
// advice refers to.
type OriginalData struct {
	MTI              string // 4 digits
	STAN             string // 6 digits
	TransmissionTime string // MMDDhhmmss
	AcquirerID       string // 11 digits, left zero-filled
	ForwardingID     string // 11 digits, zeros when absent
}

// Authorization is the canonical request: any 0100/0101, 0120/0121,
// 0400/0401, 0420/0421 or 0800 of either network, decoded.
//
// PAN, Track2, CVV2, ServiceCode, TrackCVV and the PIN block are card data:
// they must never be logged, put in an error, a metric label or the feed.
// Use MaskPAN for display.
//
// String fields hold the characters the field carried (ASCII), without
// padding removed unless the comment says so. Empty means absent.
type Authorization struct {
	Network Network
	MTI     string // four digits as received, e.g. "0101"
	Kind    Kind
	Repeat  bool // MTI ends in 1 (0101, 0121, 0401, 0421)

	PAN            string // field 2, else the PAN of track 2 (secret)
	ProcessingCode string // field 3, six digits
	Type           TxnType

	Amount          int64  // field 4, minor units of Currency
	Currency        uint16 // field 49, ISO 4217 numeric; 0 when absent
	BillingAmount   int64  // field 6, minor units of BillingCurrency
	BillingCurrency uint16 // field 51; 0 when absent
	HasBilling      bool   // field 6 present

	TransmissionTime string // field 7, MMDDhhmmss UTC
	STAN             string // field 11
	LocalTime        string // field 12, hhmmss
	LocalDate        string // field 13, MMDD
	Expiry           string // field 14, else track 2's expiry; YYMM
	SettlementDate   string // Mastercard DE 15, MMDD
	MCC              string // field 18
	AcquirerCountry  string // Visa field 19, ISO numeric
	POSEntryMode     string // field 22 as received
	Entry            EntryMode
	CardSequence     string // field 23
	POSCondition     string // Visa field 25
	AcquirerID       string // field 32
	ForwardingID     string // Mastercard DE 33

	Track2      string // field 35 with '=' (secret)
	ServiceCode string // from track 2 (3 digits after the expiry)
	TrackCVV    string // magnetic-stripe CVV from track 2 discretionary data: PVKI (1) + PVV (4) + CVV (3), both networks (secret)

	RRN          string // field 37
	AuthCode     string // field 38 (advices carry the network's)
	ResponseCode string // field 39 (advices carry the network's decision)
	TerminalID   string // field 41
	AcceptorID   string // field 42

	MerchantName    string // field 43 name part, trailing spaces removed
	MerchantCity    string // field 43 city part, trailing spaces removed
	MerchantCountry string // ISO 3166 alpha-2 (Visa 43, else 19; Mastercard 43 alpha-3, else DE 61 14–16); "" when unknown

	CVV2             string // Visa 126.10 value (spaces removed) / Mastercard DE 48 SE 92 (secret)
	CVV2Present      bool   // Visa 126.10 presence indicator 1 / Mastercard SE 92 present
	PartialSupported bool   // Visa 60.12 = 1 / Mastercard DE 48 SE 61.1 = 1
	Ecommerce        string // Visa 60.9–10 e-commerce indicator; Mastercard marks e-commerce in DE 22 (81) and DE 61.10 (6)
	TCC              string // Mastercard DE 48 transaction category code
	PINBlockPresent  bool   // field 52 present (the block itself is not kept)

	// As received, so that BuildRequest can put them back on the wire:
	POSData             string // Visa 60 / Mastercard DE 61, positional characters
	AuthCharacteristics string // Visa 62.1 authorization characteristics indicator
	ValidationCode      string // Visa 62.3

	TransactionID   string // Visa 62.2 / Mastercard DE 63 Banknet reference
	NetworkCode     string // Visa 63.1 network id / Mastercard DE 63 financial network code
	LifecycleKey    string // Visa: 62.2; Mastercard: Banknet reference followed by DE 15 (when present)
	AdviceReason    string // Visa 63.3; Mastercard DE 60 (reason 3 + detail 4)
	STIPReason      string // Visa 63.4
	NetworkMgmtCode string // field 70

	HasOriginal bool
	Original    OriginalData // field 90

	HasReplacement bool
	ActualAmount   int64 // field 95 actual transaction amount
}

// Answer is the canonical decision a response is built from. The codec
// copies the echoed fields from the request; the answer supplies what the
// issuer decides.
type Answer struct {
	ResponseCode string // field 39, two characters
	AuthCode     string // field 38, six characters; set on approving answers to 0100/0101

	// Partial approval (response code 10): the approved amount replaces
	// field 4 (and 6 when the request had billing); the requested amount
	// goes in field 54 as amount type 57.
	Partial           bool
	ApprovedAmount    int64
	ApprovedBilling   int64
	RequestedAmount   int64
	RequestedCurrency uint16
	RequestedBilling  int64

	// Balances in field 54 (amount types 01 and 02), in BalanceCurrency.
	HasBalances     bool
	LedgerBalance   int64
	Available       int64
	BalanceCurrency uint16

	// Card verification results, 'M', 'N' or 'P'; 0 when the request
	// carried no such value.
	CVV2Result byte // Visa 44.10 / Mastercard DE 48 SE 87
	CVVResult  byte // Visa 44.5 (magnetic-stripe CVV); Mastercard has no field for it

	// STIPReason, when set, is added to Visa's answer as 63.4.
	STIPReason string
}

// MaskPAN returns a PAN as first six and last four digits with the middle
// masked, safe for logs and display. Shorter inputs are fully masked.
func MaskPAN(pan string) string {
	if len(pan) < 13 {
		return "****"
	}
	b := make([]byte, len(pan))
	copy(b, pan[:6])
	for i := 6; i < len(pan)-4; i++ {
		b[i] = '*'
	}
	copy(b[len(pan)-4:], pan[len(pan)-4:])
	return string(b)
}

// Redacted returns a copy safe to log or display: the PAN masked (first
// six, last four), track 2, the service code and both CVVs removed. The
// presence flags (CVV2Present) stay.
func (a *Authorization) Redacted() Authorization {
	r := *a
	if r.PAN != "" {
		r.PAN = MaskPAN(r.PAN)
	}
	r.Track2, r.ServiceCode, r.TrackCVV, r.CVV2 = "", "", "", ""
	return r
}
