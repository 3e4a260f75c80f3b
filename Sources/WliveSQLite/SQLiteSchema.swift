import WliveStore

/// The store's schema, as numbered migrations: a file records the last one applied in
/// `PRAGMA user_version`, and each start applies the ones after it, each in a transaction.
enum SQLiteSchema {
    static let migrations: [String] = [
        // 1: rooms, their watchers, their comments.
        """
        CREATE TABLE channels (
            channel_id INTEGER PRIMARY KEY,
            title TEXT NOT NULL, describe TEXT NOT NULL, cover_url TEXT NOT NULL, ext_json TEXT NOT NULL,
            owner_userid TEXT NOT NULL, owner_biz TEXT NOT NULL, owner_source INTEGER NOT NULL,
            create_time INTEGER NOT NULL, release_time INTEGER NOT NULL, live_time INTEGER NOT NULL,
            reason TEXT NOT NULL, state INTEGER NOT NULL,
            online_count INTEGER NOT NULL, total_count INTEGER NOT NULL,
            epoch INTEGER NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE watchers (
            channel_id INTEGER NOT NULL, source INTEGER NOT NULL, userid TEXT NOT NULL,
            biz TEXT NOT NULL, ext_json TEXT NOT NULL, view_time INTEGER NOT NULL, online INTEGER NOT NULL,
            PRIMARY KEY (channel_id, source, userid)
        ) WITHOUT ROWID;
        CREATE TABLE comments (
            channel_id INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
            userid TEXT NOT NULL, source INTEGER NOT NULL, biz TEXT NOT NULL, ext_json TEXT NOT NULL,
            content TEXT NOT NULL, comment_type TEXT NOT NULL, time INTEGER NOT NULL,
            PRIMARY KEY (channel_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX comments_by_time ON comments (time);
        """,
        // 2: the room life-cycle (when a state began, a planned start and end) and likes.
        """
        ALTER TABLE channels ADD COLUMN state_since INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN plan_start_time INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN plan_end_time INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN total_likes INTEGER NOT NULL DEFAULT 0;
        """,
        // 3: moderation: retracted comments keep their row (a reader learns the seq was
        // retracted, not lost) without their text; a room's modes, pin and privacy; bans
        // (channel 0: everywhere).
        """
        ALTER TABLE comments ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN slow_mode INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN anchor_only INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channels ADD COLUMN pinned_json TEXT NOT NULL DEFAULT '';
        CREATE TABLE bans (
            channel_id INTEGER NOT NULL, source INTEGER NOT NULL, userid TEXT NOT NULL, until INTEGER NOT NULL,
            PRIMARY KEY (channel_id, source, userid)
        ) WITHOUT ROWID;
        """,
    ]

    /// Brings the file up to the newest schema; refuses one written by a newer Wlive.
    static func migrate(_ database: SQLiteDatabase) throws(StoreError) {
        let version = Int(try database.integer("PRAGMA user_version"))
        guard version <= migrations.count else {
            throw StoreError(
                "the store \(database.path) has schema version \(version); this wlive knows up to \(migrations.count)")
        }
        for (index, sql) in migrations.enumerated().dropFirst(version) {
            try database.transaction { () throws(StoreError) in
                try database.execute(sql)
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
