//! How many reconciles a controller runs at once unless told otherwise.

/// At most this many reconciles at once per controller: enough to keep the API server busy, few
/// enough that a burst (every object at startup) waits here instead of piling up, with its
/// memory, as requests in flight.
pub const MAX_CONCURRENT_RECONCILES: u16 = 16;
