import Foundation
import XCTest

@testable import UpturnKit

/// The typed registries (`CueKey`, `SoundKey`, `StepKind`) are the one source of truth: the
/// JSON Schemas that editors use and the packs we ship must say the same.
final class RegistryTests: XCTestCase {
    func schema(_ name: String) throws -> [String: Any] {
        let text = try XCTUnwrap(Schemas.text(name))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func object(_ value: Any?, _ path: String..., file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        var current = value
        for key in path { current = (current as? [String: Any])?[key] }
        return try XCTUnwrap(current as? [String: Any], path.joined(separator: "."), file: file, line: line)
    }

    func testThePlanSchemaHasEveryStepKindWithTheKeysTheReaderTakes() throws {
        let steps = try XCTUnwrap((try object(try schema("plan"), "$defs", "step"))["oneOf"] as? [[String: Any]])
        var found: [String: Set<String>] = [:]
        for step in steps {
            let required = try XCTUnwrap(step["required"] as? [String])
            XCTAssertEqual(required.count, 1, "a step kind is named by one required key")
            found[required[0]] = Set(try object(step, "properties").keys)
        }
        var expected: [String: Set<String>] = [:]
        for kind in StepKind.inPlans { expected[kind.rawValue] = Set(kind.keys) }
        XCTAssertEqual(found, expected)
        XCTAssertEqual(Set(PlanReader.kindKeys), Set(expected.keys))
        XCTAssertFalse(StepKind.inPlans.contains(.welcome) || StepKind.inPlans.contains(.finish), "the engine's own kinds are not for plans")
    }

    func testThePackSchemaHasEveryCueKeyAndSound() throws {
        let pack = try schema("pack")
        XCTAssertEqual(Set(try object(pack, "properties", "cues", "properties").keys), Set(CueKey.all.map(\.key)))
        XCTAssertEqual(Set(try object(pack, "properties", "sounds", "properties").keys), Set(SoundKey.allCases.map(\.rawValue)))
    }

    /// Every static member is in `all` (a key left out of it passed every other test: the
    /// schema, the packs and `pack keys` are all checked against `all`).
    func testEveryStaticKeyIsInAll() throws {
        let root = PathText.parent(PathText.parent(PathText.parent(#filePath)))
        let source = try String(contentsOfFile: root + "/Sources/UpturnKit/Vocabulary/CueKey.swift", encoding: .utf8)
        let declared = try NSRegularExpression(pattern: #"static let \w+ = CueKey\("([^"]+)""#)
            .matches(in: source, range: NSRange(source.startIndex..., in: source))
            .map { String(source[Range($0.range(at: 1), in: source)!]) }
        XCTAssertGreaterThan(declared.count, 20)
        XCTAssertEqual(Set(declared), Set(CueKey.all.map(\.key)), "static keys and `all` differ")
        XCTAssertEqual(declared.count, CueKey.all.count)
    }

    func testKeysAreUniqueAndFoundByName() {
        XCTAssertEqual(Set(CueKey.names).count, CueKey.all.count)
        for key in CueKey.all {
            XCTAssertEqual(CueKey(named: key.key), key)
            XCTAssertFalse(key.about.isEmpty, key.key)
        }
        XCTAssertNil(CueKey(named: "hold.halfwya"))
        XCTAssertEqual(CueKey.holdHalfway.key, "hold.halfway")
    }

    /// Each shipped pack says every cue and has every sound itself, without falling back to
    /// English: a German user never hears an English sentence.
    func testEveryShippedPackCoversEveryKey() throws {
        let folder = ShippedSoundsSource.folder
        let packs = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { FileManager.default.fileExists(atPath: folder + "/" + $0 + "/pack.json5") }.sorted()
        XCTAssertEqual(packs, ["de", "en", "es", "fr"])
        for name in packs {
            let pack = try PackReader.parse(
                Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name + "/pack.json5"))), file: name + "/pack.json5",
                folder: folder + "/" + name)
            for key in CueKey.all { XCTAssertNotNil(pack.cues[key.key], "\(name) has no \(key.key)") }
            for sound in SoundKey.allCases { XCTAssertNotNil(pack.sounds[sound.rawValue], "\(name) has no sound \(sound.rawValue)") }
        }
    }
}
