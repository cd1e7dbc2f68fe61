// How much one agency's subscriptions may disclose.

/// Per-agency bounds on subscriptions (docs/architecture.md §5.1: a subscription is a read, so what it can
/// disclose is bounded like a lookup's): how many subscriptions, how many watched IINs over all
/// of them, and how far back and how often replays reach.
struct SubscriptionLimits: Sendable {
    /// `SUBSCRIPTIONS_PER_AGENCY`: live subscriptions one agency may have.
    var subscriptions = 20
    /// `WATCHED_IINS_PER_AGENCY`: IINs over all of one agency's watch-lists.
    var watchedIINs = 200_000
    /// `REPLAY_MAX_SPAN`: how far back `since` may be.
    var replaySpan = Duration.seconds(7 * 86_400)
    /// `REPLAYS_PER_HOUR`: replays one agency may ask for in any hour.
    var replaysPerHour = 6
}
