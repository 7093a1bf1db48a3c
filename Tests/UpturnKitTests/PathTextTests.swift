import XCTest

@testable import UpturnKit

/// Path arithmetic that Foundation's NSString trapped on (issue 18): short, relative,
/// non-ASCII and trailing-slash paths.
final class PathTextTests: XCTestCase {
    func testParent() {
        let cases: [(String, String)] = [
            ("x", ""), ("é", ""), ("é/", ""), ("ab", ""), ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("/x", "/"), ("/", "/"),
            ("", ""), ("./x", "."), ("é/upturn", "é"), ("/home/é/.cache/upturn", "/home/é/.cache"), ("//x", "/"),
        ]
        for (path, parent) in cases { XCTAssertEqual(PathText.parent(path), parent, path) }
    }

    func testLastComponentAndJoin() {
        let cases: [(String, String)] = [("x", "x"), ("é", "é"), ("é/", "é"), ("a/b/", "b"), ("/", "/"), ("", ""), ("/a/ü.wav", "ü.wav")]
        for (path, last) in cases { XCTAssertEqual(PathText.lastComponent(path), last, path) }
        XCTAssertEqual(PathText.join("", "x"), "x")
        XCTAssertEqual(PathText.join("é", "x"), "é/x")
        XCTAssertEqual(PathText.join("a/", "x"), "a/x")
        XCTAssertEqual(PathText.join("/", "x"), "/x")
    }

    func testResolved() throws {
        let folder = temporaryFolder()
        FileManager.default.createFile(atPath: folder + "/é", contents: Data())
        try FileManager.default.createSymbolicLink(atPath: folder + "/l", withDestinationPath: folder + "/é")
        XCTAssertEqual(PathText.resolved(folder + "/l"), PathText.resolved(folder) + "/é")
        XCTAssertEqual(PathText.resolved(folder + "/none"), folder + "/none")
    }

    /// Making folders from a relative one-character path, as the cache and history do.
    func testMakeFoldersFromShortRelativePaths() throws {
        let folder = temporaryFolder()
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        for path in ["x", "é", "é/ü/", "b/c"] {
            XCTAssertNoThrow(try FileBytes.makeFolders(path), path)
            var isFolder: ObjCBool = false
            XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue, path)
        }
    }
}
