import Testing

@testable import WliveCodec

@Suite("UTF-8 validation")
struct UTF8ValidatorTests {
    @Test(
        arguments: [
            [], Array("hello, world".utf8), Array("直播评论 κόσμε 🎉".utf8),
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], Array(repeating: 0x41, count: 100),
        ] as [[UInt8]])
    func validTexts(bytes: [UInt8]) {
        #expect(UTF8Validator.isValid(bytes))
    }

    @Test(
        arguments: [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF],  // stray continuation, overlong 2-byte
            [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // overlong 3-byte
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE],  // above U+10FFFF, never valid
            [0xE2, 0x82], [0xF0, 0x9F, 0x8E],  // truncated
            [0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0xC3, 0x28],  // bad after an ASCII run
        ] as [[UInt8]])
    func invalidTexts(bytes: [UInt8]) {
        #expect(!UTF8Validator.isValid(bytes))
    }

    @Test func splitAtEveryPointAgreesWithWhole() {
        let samples: [[UInt8]] = [Array("ab直播🎉cd".utf8), [0x41, 0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x8E, 0x89, 0x80]]
        for sample in samples {
            let whole = UTF8Validator.isValid(sample)
            for cut in 0...sample.count {
                var validator = UTF8Validator()
                let ok =
                    sample[..<cut].withUnsafeBytes { validator.validate($0) }
                    && sample[cut...].withUnsafeBytes { validator.validate($0) }
                #expect((ok && validator.isAtCharacterBoundary) == whole)
            }
        }
    }

    @Test func failsOnTheFirstBadByteNotAtTheEnd() {
        var validator = UTF8Validator()
        let bad: [UInt8] = [0x41, 0xED, 0xA0]
        #expect(!bad.withUnsafeBytes { validator.validate($0) })
        var partial = UTF8Validator()
        #expect([UInt8]([0x41, 0xED]).withUnsafeBytes { partial.validate($0) })
        #expect(!partial.isAtCharacterBoundary)
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(UTF8Validator.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
