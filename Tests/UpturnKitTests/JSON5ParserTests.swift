import XCTest

@testable import UpturnKit

final class JSON5ParserTests: XCTestCase {
    func testReadsJSON5Features() throws {
        let text = """
            // a comment
            {
              unquoted: 'single',
              "quoted": "double\\n",
              hex: 0x1F, lead: .5, trail: 5., plus: +3, inf: -Infinity,
              /* block */ list: [1, 2, 3,],
              nested: {a: null, b: true, c: false},
            }
            """
        let root = try JSON5Parser.parse(text)
        XCTAssertEqual(root["unquoted"]?.value, .string("single"))
        XCTAssertEqual(root["quoted"]?.value, .string("double\n"))
        XCTAssertEqual(root["hex"]?.value, .number(31))
        XCTAssertEqual(root["lead"]?.value, .number(0.5))
        XCTAssertEqual(root["trail"]?.value, .number(5))
        XCTAssertEqual(root["plus"]?.value, .number(3))
        XCTAssertEqual(root["inf"]?.value, .number(-.infinity))
        guard case .array(let list)? = root["list"]?.value else { return XCTFail("list") }
        XCTAssertEqual(list.count, 3)
        XCTAssertEqual(root["nested"]?["b"]?.value, .bool(true))
        XCTAssertEqual(root["list"]?.location, SourceLocation(line: 6, column: 21))
    }

    func testEscapes() throws {
        let text = #"{a: "\u00e9\x41\ud83d\ude00 \' \"", b: 'line"# + "\\\n" + "continued'}"
        let root = try JSON5Parser.parse(text)
        XCTAssertEqual(root["a"]?.value, .string("éA😀 ' \""))
        XCTAssertEqual(root["b"]?.value, .string("linecontinued"))
    }

    func assertSyntaxError(_ text: String, line: Int, column: Int, contains words: String, file: StaticString = #filePath, at: UInt = #line) {
        do {
            _ = try JSON5Parser.parse(text)
            XCTFail("parsed: \(text)", file: file, line: at)
        } catch {
            XCTAssertEqual(error.location, SourceLocation(line: line, column: column), error.message, file: file, line: at)
            XCTAssertTrue(error.message.contains(words), error.message, file: file, line: at)
        }
    }

    func testSyntaxErrorsHaveLineAndColumn() {
        assertSyntaxError("{a: 1,\n  b: [1,2,,]}", line: 2, column: 11, contains: "unexpected ','")
        assertSyntaxError("{\n\n   a: tru }", line: 3, column: 7, contains: "did you mean 'true'")
        assertSyntaxError("", line: 1, column: 1, contains: "empty")
        assertSyntaxError("{a: 'open}", line: 1, column: 5, contains: "never closed")
        assertSyntaxError("{a: 1} x", line: 1, column: 8, contains: "after the end")
        assertSyntaxError("{a: 1, a: 2}", line: 1, column: 8, contains: "appears twice")
        assertSyntaxError("{a: 1 /* open", line: 1, column: 7, contains: "comment is never closed")
        assertSyntaxError("{a: [1, 2}", line: 1, column: 10, contains: "expected ',' or ']'")
        assertSyntaxError("{a: 12abc}", line: 1, column: 5, contains: "not a number")
    }

    func testInvalidUTF8IsReportedWhereItIs() {
        let bytes: [UInt8] = Array("{\n a: \"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8)
        XCTAssertThrowsError(try JSON5Parser.parse(bytes)) { error in
            let e = error as! JSON5SyntaxError
            XCTAssertEqual(e.location, SourceLocation(line: 2, column: 6))
            XCTAssertTrue(e.message.contains("UTF-8"))
        }
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try JSON5Parser.parse(deep)) { error in
            XCTAssertTrue((error as! JSON5SyntaxError).message.contains("nesting deeper"))
        }
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        XCTAssertNoThrow(try JSON5Parser.parse(ok))
    }

    func testHugeStringsAndFilesAreRefused() {
        let huge = "{a: \"" + String(repeating: "x", count: JSON5Parser.maxStringBytes + 10) + "\"}"
        XCTAssertThrowsError(try JSON5Parser.parse(huge)) { error in
            XCTAssertTrue((error as! JSON5SyntaxError).message.contains("string longer"))
        }
        let enormous = [UInt8](repeating: 0x20, count: JSON5Parser.maxInputBytes + 1)
        XCTAssertThrowsError(try JSON5Parser.parse(enormous))
    }

    func testRandomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]:,'\"\\/*0123456789abcxu.+-eE \n\t".utf8) + [0xC3, 0xA9, 0xFF, 0x00]
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? JSON5Parser.parse(bytes)
        }
    }
}
