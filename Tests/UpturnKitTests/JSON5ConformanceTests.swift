import Foundation
import XCTest

@testable import UpturnKit

/// Runs the public JSON5 suite (json5/json5-tests) and JSONTestSuite's parsing cases against
/// our parser: from `UPTURN_JSON5_TESTS=DIR` and `UPTURN_JSON_TEST_SUITE=DIR` (the
/// `test_parsing` folder), or else from `../shared/conformance` beside the project, where CI
/// has them. Their files are not kept in this repository; the cases each failure class came
/// from are in `JSON5ParserTests`, which always run. Under Scripts/test a missing suite fails.
final class JSON5ConformanceTests: XCTestCase {
    /// Cases our parser answers differently on purpose, each a documented policy.
    static let policy: [String: String] = [
        // Plans and packs refuse a key given twice: the second would silently win.
        "objects/duplicate-keys.json": "duplicate keys are refused",
        "y_object_duplicated_key.json": "duplicate keys are refused",
        "y_object_duplicated_key_and_value.json": "duplicate keys are refused",
    ]

    /// The suite's folder: named, or in ../shared/conformance; a skip only outside Scripts/test.
    func suite(_ variable: String, _ shared: String) throws -> String {
        if let named = ProcessInfo.processInfo.environment[variable] { return named }
        let root = PathText.parent(PathText.parent(PathText.parent(#filePath)))
        let folder = PathText.parent(root) + "/shared/conformance/" + shared
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue { return folder }
        if ProcessInfo.processInfo.environment["UPTURN_TEST_REQUIRE_BEDS"] != nil {
            XCTFail("no \(shared) at \(folder); set \(variable)")
        }
        throw XCTSkip("set \(variable), or put the suite at \(folder)")
    }

    func files(in folder: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: folder)
        var found: [String] = []
        while let path = walker?.nextObject() as? String { found.append(path) }
        return found.sorted()
    }

    func parses(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return (try? JSON5Parser.parse([UInt8](data))) != nil
    }

    func testTheJSON5Suite() throws {
        let folder = try suite("UPTURN_JSON5_TESTS", "json5-tests")
        var wrong: [String] = []
        for file in files(in: folder) {
            let ext = String(PathText.lastComponent(file).split(separator: ".").last ?? "")
            guard ["json", "json5", "js", "txt"].contains(ext), Self.policy[file] == nil else { continue }
            let valid = ext == "json" || ext == "json5"
            if parses(folder + "/" + file) != valid { wrong.append(file + (valid ? " (valid, refused)" : " (invalid, accepted)")) }
        }
        XCTAssertEqual(wrong, [], "\n" + wrong.joined(separator: "\n"))
    }

    func testJSONTestSuitesParsingCases() throws {
        let folder = try suite("UPTURN_JSON_TEST_SUITE", "JSONTestSuite/test_parsing")
        var wrong: [String] = []
        for file in files(in: folder) where Self.policy[file] == nil {
            // JSON5 is a superset of JSON: every valid JSON text parses. Invalid JSON may be
            // valid JSON5 (trailing commas, comments, single quotes...), so n_ cases are not
            // checked here; neither are the i_ ones, which any parser may decide.
            guard file.hasPrefix("y_") else { continue }
            if !parses(folder + "/" + file) { wrong.append(file) }
        }
        XCTAssertEqual(wrong, [], "\n" + wrong.joined(separator: "\n"))
    }
}
