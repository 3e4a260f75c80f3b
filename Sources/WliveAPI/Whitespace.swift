extension String {
    /// The text without leading and trailing Unicode whitespace (ideographic spaces and newlines
    /// included). Every call trims several fields, so text with nothing to trim is returned as
    /// it is, without Foundation's `NSString` bridging.
    var trimmingWhitespace: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }

    /// Whether the text is empty or all whitespace.
    var isBlank: Bool { trimmingWhitespace.isEmpty }
}
