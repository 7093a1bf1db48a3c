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

    // The failure classes json5-tests and JSONTestSuite found (JSON5ConformanceTests runs the
    // suites themselves when their folders are named).

    func testABareCREndsACommentALineContinuationAndALine() throws {
        let root = try JSON5Parser.parse("{\r  // a comment ended by CR\r  a: 'one \\\rtwo',\r  b: 1}")
        XCTAssertEqual(root["a"]?.value, .string("one two"))
        XCTAssertEqual(root["b"]?.location, SourceLocation(line: 5, column: 6), "the continued string took a line too")
        assertSyntaxError("{\ra: 1,\rb: ?}", line: 3, column: 4, contains: "unexpected '?'")
        assertSyntaxError("{\r\na: 1,\r\nb: ?}", line: 3, column: 4, contains: "unexpected '?'")
        assertSyntaxError("{a: 1,\u{2028}b: ?}", line: 2, column: 4, contains: "unexpected '?'")
    }

    func testLeadingZerosAndOctalEscapesAreRefused() {
        for number in ["010", "-01", "080", "00", "+07"] {
            XCTAssertThrowsError(try JSON5Parser.parse("[\(number)]"), number)
        }
        for number in ["0", "-0", "0.5", "0e3", "0x10", "10"] {
            XCTAssertNoThrow(try JSON5Parser.parse("[\(number)]"), number)
        }
        assertSyntaxError(#"["\1"]"#, line: 1, column: 4, contains: "is not an escape JSON5 has")
        assertSyntaxError(#"["\01"]"#, line: 1, column: 5, contains: "octal escape")
        XCTAssertEqual(try JSON5Parser.parse(#"["\0"]"#), JSONNode(.array([JSONNode(.string("\u{0}"), at: SourceLocation(line: 1, column: 2))]), at: SourceLocation(line: 1, column: 1)))
    }

    func testNamesFollowES5() throws {
        let root = try JSON5Parser.parse("{sig\\u03A3ma: 1, ümlåût: 2, $_a1: 3, \\u0061b: 4}")
        XCTAssertEqual(root["sigΣma"]?.value, .number(1))
        XCTAssertEqual(root["ümlåût"]?.value, .number(2))
        XCTAssertEqual(root["ab"]?.value, .number(4))
        // A no-break space after a name is white space, not part of it.
        XCTAssertEqual(try JSON5Parser.parse("{a\u{A0}: 1}")["a"]?.value, .number(1))
        assertSyntaxError("{a\u{2603}: 1}", line: 1, column: 3, contains: "expected ':'")
        assertSyntaxError("{\\u0031a: 1}", line: 1, column: 8, contains: "not a letter or digit a name may hold")
        // Escapes are for names, never the literals (ES5): `nul\u006c` is no null.
        for literal in ["nul\\u006c", "\\u0074rue", "fals\\u0065", "\\u0049nfinity", "Na\\u004e"] {
            assertSyntaxError("{a: \(literal)}", line: 1, column: 5, contains: "written with a \\u escape is not a literal")
        }
        // As a key, an escaped "null" is a name like any other.
        XCTAssertEqual(try JSON5Parser.parse("{nul\\u006c: 1}")["null"]?.value, .number(1))
        let long = String(repeating: "k", count: 300)
        XCTAssertEqual(try JSON5Parser.parse("{\(long): 1}")[long]?.value, .number(1), "a long name is read whole")
    }

    func testStringsHoldTabsAndSeparatorsAndSpacesAreUnicode() throws {
        let root = try JSON5Parser.parse("{a: 'tab\there', b: 'sep\u{2028}arated', c: 'joined \\\u{2029}here'}")
        XCTAssertEqual(root["a"]?.value, .string("tab\there"))
        XCTAssertEqual(root["b"]?.value, .string("sep\u{2028}arated"))
        XCTAssertEqual(root["c"]?.value, .string("joined here"))
        for space in ["\u{A0}", "\u{2003}", "\u{3000}", "\u{FEFF}", "\u{2029}"] {
            XCTAssertEqual(try JSON5Parser.parse("{\(space)a:\(space)1\(space)}")["a"]?.value, .number(1), space.debugDescription)
        }
        let tiny = "[-0." + String(repeating: "0", count: 120) + "1]"
        XCTAssertNoThrow(try JSON5Parser.parse(tiny), "a long number within the limit")
    }
}
