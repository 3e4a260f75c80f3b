/// Where and how the gateway keeps what lasts (`store.*`, `history.*`).
public struct StoreSettings: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// One SQLite file: rooms, watchers and comments survive a restart and `kill -9`.
        case sqlite
        /// Nothing survives the process; comment history is kept in memory for resume.
        case memory
    }

    /// How hard each commit waits for the disk (`store.synchronous`).
    public enum Synchronous: String, Sendable, Equatable, CaseIterable {
        /// The write-ahead log is synced at checkpoints only: a commit survives a crash of the
        /// process (`kill -9`); a power loss may take the last ones.
        case normal
        /// Each commit is synced: it survives a power loss too, for one fsync per batch.
        case full
    }

    public var kind = Kind.sqlite
    /// The SQLite file; a relative path is taken from the configuration file's folder.
    public var path = "data/wlive.sqlite"
    public var synchronous = Synchronous.normal
    /// The largest the file may grow, in bytes; 0: no limit. At the limit commits fail as on a
    /// full disk (code 100).
    public var maxBytes = 0
    public var retention = RetentionPolicy()

    public init(kind: Kind = .sqlite, path: String = "data/wlive.sqlite") {
        self.kind = kind
        self.path = path
    }
}
