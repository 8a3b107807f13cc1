import FluentKit

extension StorageMigrations {
    /// Every migration in the order it shipped. Never edit or reorder a shipped migration; add a new file.
    static let all: [any Migration] = [
        CreateReferenceDatasets(),  // 001: dataset versions
        CreateReferenceRecords(),  // 002: records of each dataset
        CreateReferenceSnapshots(),  // 003: binary snapshots of the assembled set, for fast start-up
        CreateAccounts(),  // 004: accounts, API tokens, web sessions, the audit log
        CreateScreeningJobs(),  // 005: files screened in the background, their lines and unreadable lines
        HardenAccounts(),  // 006: unique name keys; sessions tied to their account
        CreateScreeningJobChunks(),  // 007: stored uploads cut into parts that any app server claims with a lease
    ]
}

/// The storage layer's migrations, for whoever composes the app (CLI or web app).
public enum StorageMigrations {
    public static func register(on migrations: Migrations) {
        migrations.add(all)
    }
}
