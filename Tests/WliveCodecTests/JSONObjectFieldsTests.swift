import Foundation
import Testing
import WliveCodec

@Suite("JSON object fields")
struct JSONObjectFieldsTests {
    func parse(_ text: String) throws -> [String: String] { try JSONObjectFields.parse(Array(text.utf8)) }

    @Test func membersBecomeText() throws {
        let fields = try parse(
            #"""
            { "s": "a\"b\\c\/d\n\u00e9\ud83d\ude00", "i": 2, "neg": -17, "f": 1.5, "e": 1e3, "big": 12345678901234567890,
              "t": true, "no": false, "z": null, "o": {"wl": "x", "n": [1, {"k": []}]}, "a": [ ], "dup": 1, "dup": "2", "u": "直播" }
            """#)
        #expect(fields["s"] == "a\"b\\c/d\né😀")
        #expect(fields["i"] == "2" && fields["neg"] == "-17" && fields["f"] == "1.5" && fields["e"] == "1000")
        #expect(fields["big"] == "12345678901234567890")
        #expect(fields["t"] == "true" && fields["no"] == "false" && fields["z"] == "")
        #expect(fields["o"] == #"{"wl": "x", "n": [1, {"k": []}]}"#)
        #expect(fields["a"] == "[ ]" && fields["dup"] == "2" && fields["u"] == "直播")
        #expect(try parse("{}").isEmpty)
        // A nested object's text reads back as the same object.
        #expect(try JSONObjectFields.parse(Array(fields["o"]!.utf8))["wl"] == "x")
    }

    @Test func malformedInputIsRefused() {
        let bad = [
            "", "[]", "\"x\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}",
            "{\"a\":.5}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\u{1}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}", "{} {}", "{\"a\":1}x",
            "{a:1}", "{\"a\":[" + String(repeating: "[", count: 100) + String(repeating: "]", count: 101) + "}",
        ]
        for text in bad {
            #expect(throws: JSONObjectFields.Malformed.self, "\(text)") { try parse(text) }
        }
        #expect(throws: JSONObjectFields.Malformed.self) {
            try JSONObjectFields.parse([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D])
        }
    }

    /// Random objects: Foundation's serialisation read back must give the same members.
    @Test func agreesWithFoundationOnRandomObjects() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab \"\\/\n\t\u{1}é直😀{}[],:0")
        func randomString() -> String {
            String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        for _ in 0..<500 {
            var object: [String: Any] = [:]
            var expected: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                let name = randomString()
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    let value = randomString()
                    object[name] = value
                    expected[name] = value
                case 1:
                    let value = Int.random(in: -1_000_000...1_000_000, using: &generator)
                    object[name] = value
                    expected[name] = String(value)
                case 2:
                    object[name] = true
                    expected[name] = "true"
                default:
                    let value = randomString()
                    object[name] = ["k": value]
                    expected[name] = nil
                }
            }
            let data = try JSONSerialization.data(withJSONObject: object)
            let fields = try JSONObjectFields.parse(Array(data))
            for (name, value) in expected { #expect(fields[name] == value) }
            #expect(Set(fields.keys) == Set(object.keys))
        }
    }

    /// Random bytes and truncations never crash; whatever Foundation refuses is refused too.
    @Test func fuzzedBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let seed = Array(#"{"a":"x\u00e9","b":[1,2,{"c":null}],"d":-1.5e2,"e":true}"#.utf8)
        for round in 0..<3000 {
            var bytes = seed
            if round % 3 == 0 {
                bytes = Array(seed.prefix(Int.random(in: 0...seed.count, using: &generator)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let ours = try? JSONObjectFields.parse(bytes)
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            if foundation == nil { #expect(ours == nil, "accepted \(String(decoding: bytes, as: UTF8.self))") }
        }
    }
}
