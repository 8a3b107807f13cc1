import Foundation
import GreenCustomsCore
import ReferenceData

/// The real public data files beside the project (`../shared/data`), which tests may read but the project never
/// copies. `GREENCUSTOMS_SHARED_DATA` overrides the folder.
public enum SharedData {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["GREENCUSTOMS_SHARED_DATA"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data", isDirectory: true)
    }()

    public static func file(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    /// True when the file exists; otherwise prints why the test is skipped.
    public static func has(_ relative: String) -> Bool {
        let exists = FileManager.default.fileExists(atPath: file(relative).path)
        if !exists { print("skipping: \(file(relative).path) is absent (real data lives in ../shared/data)") }
        return exists
    }

    public static let citesExport = "cites/Index_of_CITES_Species_2017-04-21.csv.gz"
}

/// The bundled reference set, loaded once per test process.
public enum Fixtures {
    public static let bundled: LoadedReference = {
        do { return try BundledReference.load() } catch {
            fatalError("bundled reference files cannot be read: \(error)")
        }
    }()

    public static func item(_ id: String) -> ControlledItem? { bundled.set.items.first { $0.id == id } }
}
