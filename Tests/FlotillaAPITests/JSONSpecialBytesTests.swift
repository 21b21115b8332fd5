import Testing
@testable import FlotillaAPI

/// The eight-bytes-at-a-time scan finds exactly what a byte-by-byte scan finds, for every byte value at every
/// position of a word and across word boundaries; strings with such bytes anywhere parse and serialize correctly.
@Suite struct JSONSpecialBytesTests {
    @Test func theWordScanAgreesWithTheByteScanForEveryByteAtEveryPosition() {
        for value in 0...255 {
            for position in 0..<19 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 19)
                bytes[position] = UInt8(value)
                let expected = JSONSpecialBytes.isSpecial(UInt8(value)) ? position : bytes.count
                bytes.withUnsafeBufferPointer { buffer in
                    #expect(JSONSpecialBytes.first(in: buffer, from: 0, to: buffer.count) == expected)
                    if position >= 3 {
                        #expect(JSONSpecialBytes.first(in: buffer, from: 3, to: buffer.count) == expected)
                    }
                }
            }
        }
    }

    /// Bytes above 0x7F next to special ones (a borrow across bytes must not hide or invent one).
    @Test(arguments: [[0xFF, 0x22], [0x80, 0x1F], [0x21, 0x20, 0x5B, 0x5D, 0x5C], [0xE2, 0x80, 0x9C, 0x00]])
    func neighbouringHighBytesNeitherHideNorInvent(pattern: [UInt8]) {
        let bytes = [UInt8](repeating: 0x41, count: 5) + pattern + [UInt8](repeating: 0x41, count: 9)
        let expected = bytes.firstIndex(where: JSONSpecialBytes.isSpecial) ?? bytes.count
        bytes.withUnsafeBufferPointer { #expect(JSONSpecialBytes.first(in: $0, from: 0, to: $0.count) == expected) }
    }

    @Test func stringsWithSpecialBytesAnywhereRoundTrip() throws {
        for length in 0..<20 {
            for position in 0...length {
                for special in ["\"", "\\", "\n", "\u{01}", "é"] {
                    var text = String(repeating: "x", count: length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                    let value = JSONValue.object(["k": .string(text)])
                    #expect(try JSONValue.parse(value.serialized()) == value)
                }
            }
        }
    }

    @Test func anUnescapedControlCharacterIsStillRefusedInsideALongString() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse("\"abcdefghijkl\u{07}mnop\"") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("\"abcdefghijklmnop") }
    }
}
