import FluentKit

extension StorageMigrations {
    /// Every migration in the order it shipped. Never edit or reorder a shipped migration; add a new file.
    static let all: [any Migration] = [
        CreateReferenceDatasets(),  // 001: dataset versions
        CreateReferenceRecords(),  // 002: records of each dataset
        CreateReferenceSnapshots(),  // 003: binary snapshots of the assembled set, for fast start-up
        CreateAccounts(),  // 004: accounts, API tokens, web sessions, the audit log
        CreateScreeningJobs(),  // 005: files screened in the background, their lines and unreadable lines
    ]
}

/// The storage layer's migrations, for whoever composes the app (CLI or web app).
public enum StorageMigrations {
    public static func register(on migrations: Migrations) {
        migrations.add(all)
    }
}
