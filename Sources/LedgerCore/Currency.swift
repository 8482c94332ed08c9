/// A currency or asset code: `^[A-Z][A-Z0-9]{2,11}$` (PRODUCT.md §1).
///
/// ISO 4217 codes carry their official minor units; any other code (a loyalty point, a
/// token) defaults to two decimal places, which is what statements use to render decimals.
public struct Currency: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let code: String

    public init?(_ code: String) {
        let bytes = Array(code.utf8)
        guard (3...12).contains(bytes.count), (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[0]) else {
            return nil
        }
        for byte in bytes.dropFirst() {
            let isUpper = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            guard isUpper || isDigit else { return nil }
        }
        self.code = code
    }

    /// Decimal places of the currency's minor unit.
    public var minorUnits: Int {
        Currency.isoMinorUnits[code] ?? 2
    }

    public var description: String { code }

    public static func < (lhs: Currency, rhs: Currency) -> Bool { lhs.code < rhs.code }

    /// ISO 4217 codes whose minor unit is not two; every other ISO code uses two.
    private static let isoMinorUnits: [String: Int] = [
        "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0,
        "JOD": 3, "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0,
        "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0,
        "XOF": 0, "XPF": 0,
    ]
}
