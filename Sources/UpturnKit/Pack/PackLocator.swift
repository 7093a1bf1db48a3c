import Foundation
import UpturnSounds

/// Finds cue packs by name or folder.
public enum PackLocator {
    /// Folders searched for packs by name, in order.
    public static var searchFolders: [String] {
        let env = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let packs = env["UPTURN_PACKS"] { folders += packs.split(separator: ":").map(String.init) }
        folders.append(XDGFolders.dataHome + "/upturn/packs")
        if let installed = installedDataFolder { folders.append(installed + "/packs") }
        folders.append(ShippedSounds.sourceFolder)
        return folders
    }

    /// `PREFIX/share/upturn` next to an installed binary (`PREFIX/bin/upturn`).
    static var installedDataFolder: String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let bin = PathText.parent(exe)
        let share = PathText.join(PathText.parent(bin), "share/upturn")
        return FileManager.default.fileExists(atPath: share) ? share : nil
    }

    /// The pack named or at the folder given, falling back key by key to the default pack;
    /// nil means the default pack itself.
    public static func load(_ nameOrFolder: String?) throws(UpturnError) -> CuePack {
        let fallback = try PackReader.builtinDefault()
        guard let nameOrFolder, nameOrFolder != ShippedSounds.defaultPackName else { return fallback }
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if nameOrFolder.contains("/") || (fm.fileExists(atPath: nameOrFolder, isDirectory: &isFolder) && isFolder.boolValue) {
            guard fm.fileExists(atPath: nameOrFolder, isDirectory: &isFolder), isFolder.boolValue else {
                throw UpturnError.noInput("\(nameOrFolder): no cue pack folder there")
            }
            return try PackReader.read(folder: nameOrFolder).fallingBack(to: fallback)
        }
        for folder in searchFolders {
            let candidate = PathText.join(folder, nameOrFolder)
            if fm.fileExists(atPath: candidate + "/pack.json5") {
                return try PackReader.read(folder: candidate).fallingBack(to: fallback)
            }
        }
        throw UpturnError.noInput(
            "no cue pack named '\(nameOrFolder.prefix(80))'; give a folder with pack.json5, or put it in \(searchFolders.first ?? "~/.local/share/upturn/packs")"
        )
    }
}
