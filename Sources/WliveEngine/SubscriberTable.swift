import WliveProtocol

/// Something that can sit in a `SubscriberTable`: it remembers its own slot for O(1) removal.
public protocol Subscriber: AnyObject {
    /// Managed by the table: the index in its channel's list, or -1 when not subscribed.
    var subscriberSlot: Int { get set }
    /// Managed by `FanOutConsumer`: what is in flight and what waits for it.
    var fanOut: SubscriberFanOut { get set }
    /// The channel it receives, named in its gap messages.
    var channelID: ChannelID? { get }
}

/// The subscribers of each channel on one loop. Not thread-safe: one per loop, used on its thread.
public struct SubscriberTable<Element: Subscriber> {
    private var channels: [ChannelID: ContiguousArray<Element>] = [:]
    /// Subscribers over all channels.
    public private(set) var count = 0

    public init() {}

    public mutating func add(_ subscriber: Element, to channel: ChannelID) {
        precondition(subscriber.subscriberSlot < 0, "already subscribed")
        subscriber.subscriberSlot = channels[channel, default: []].count
        channels[channel, default: []].append(subscriber)
        count += 1
    }

    /// Removes `subscriber` by swapping the channel's last subscriber into its slot.
    public mutating func remove(_ subscriber: Element, from channel: ChannelID) {
        let slot = subscriber.subscriberSlot
        guard slot >= 0, var list = channels.removeValue(forKey: channel), slot < list.count, list[slot] === subscriber else {
            return
        }
        let last = list.removeLast()
        if last !== subscriber {
            list[slot] = last
            last.subscriberSlot = slot
        }
        subscriber.subscriberSlot = -1
        count -= 1
        if !list.isEmpty { channels[channel] = list }
    }

    /// The subscribers of `channel` (empty when none).
    public func subscribers(of channel: ChannelID) -> ContiguousArray<Element> {
        channels[channel] ?? []
    }

    /// Channels with at least one subscriber here.
    public var channelIDs: Dictionary<ChannelID, ContiguousArray<Element>>.Keys { channels.keys }
}
