//! The stack's reach into the web tier (built-in component 0) and the component at the
//! front door (the load balancer, at `door`, when there is one), lent together where one
//! step reads both — the door's pass with the viewed kind's preferred member (sticky
//! sessions: `BuiltIn::pass`, `BuiltIn::preferred_member`), and the port of the kinds that
//! drive the web tier (`stack/deploy.rs`), which holds the door's views of the pools
//! (`BuiltIn::views_mut`) — and the web tier read by type for the Engine's figures
//! (`logged_out`, `any_alive`, the pools' count) and the report's `theory` check.
//!
//! ```text
//!   built_ins: [ WebTier | … | driver? | … | door (views) | … ]
//!                  └──── split_at_mut(door) ─────┘
//!                  └─ split_at_mut(1) ─┘ └─ get_disjoint_mut([door, driver]) ─┘
//! ```

use super::*;
use crate::sim::components::balancer::Balancer;

impl Stack {
    /// The web tier: the web pools.
    #[inline]
    pub(super) fn web(&self) -> &WebTier {
        web_tier(&self.built_ins)
    }

    /// Hands a request of `user` for group `pool` (a web pool) to the component at the door
    /// (only for a request that reached it: a stack without one has no door that leads
    /// there), lending it the viewed kind's choice first (`BuiltIn::preferred_member`: the
    /// server holding the user's sticky session there).
    #[inline]
    pub(super) fn pass_door(&mut self, pool: u8, user: u32) -> Pass {
        // The kind the door views is listed before it (the web tier is component 0).
        let (head, rest) = self.built_ins.split_at_mut(usize::from(self.door));
        let viewed = &mut head[usize::from(self.door_views)];
        let stations = &self.stations;
        rest[0].pass(pool, &mut self.kernel.rng, |view| {
            viewed.preferred_member(pool, user, stations, view)
        })
    }
}

/// The web tier and the door's views of its pools (the load balancer's; empty without a
/// component at the door: `door` is `u8::MAX`), lent together from a stack's built-in
/// components, with one more of them (`other`, apart from both; it must be neither).
pub(super) fn web_and_views(
    parts: &mut [BuiltInPart],
    door: u8,
    other: u8,
) -> (&mut WebTier, &mut [Balancer], &mut BuiltInPart) {
    let (web, rest) = parts.split_at_mut(WEB + 1);
    let web = web_tier_mut(web);
    let at = |part: u8| usize::from(part) - WEB - 1;
    if door == u8::MAX {
        return (web, &mut [], &mut rest[at(other)]);
    }
    match rest.get_disjoint_mut([at(door), at(other)]) {
        Ok([door, other]) => (web, door.views_mut(), other),
        Err(_) => unreachable!("a kind lent beside the door is not the door"),
    }
}
