//! The stack's reach into the web tier (built-in component 0) and the load balancer (the
//! built-in component at `front`, when there is one): read directly on the request path, and
//! lent together where one step reads both — the balancer's pick with sticky sessions, and
//! the port of the kinds that drive the web tier (`stack/deploy.rs`).
//!
//! ```text
//!   built_ins: [ WebTier | … | driver? | … | BalancerNode(views) | … ]
//!                  └─ split_at_mut(1) ─┘ └──── get_disjoint_mut([front, driver]) ────┘
//! ```

use super::*;
use crate::sim::components::balancer::Balancer;

impl Stack {
    /// The web tier: the web pools.
    #[inline]
    pub(super) fn web(&self) -> &WebTier {
        web_tier(&self.built_ins)
    }

    /// The same, to change it.
    #[inline]
    pub(super) fn web_mut(&mut self) -> &mut WebTier {
        web_tier_mut(&mut self.built_ins)
    }

    /// The load balancer, with its component (only for a request that reached it: a stack
    /// without one has no door that leads there).
    #[inline]
    pub(super) fn balancer(&self) -> (&BalancerNode, ComponentId) {
        let front = usize::from(self.front);
        match self.built_ins[front].get() {
            Some(b) => (b, self.built_in_ids[front]),
            None => unreachable!("the load balancer is a built-in component"),
        }
    }

    /// The load balancer's view of web pool `pool` (only for a request that reached the
    /// balancer: a stack without one has no door that leads there).
    #[inline]
    pub(super) fn view_mut(&mut self, pool: usize) -> &mut Balancer {
        let front = usize::from(self.front);
        match self.built_ins[front].get_mut::<BalancerNode>() {
            Some(b) => &mut b.views[pool],
            None => unreachable!("the load balancer is a built-in component"),
        }
    }

    /// Web pool `pool`.
    #[inline]
    pub(super) fn pool(&self, pool: usize) -> &WebPool {
        &self.web().pools[pool]
    }
}

/// The web tier and the load balancer's views of its pools (empty without a balancer: `front`
/// is `u8::MAX`), lent together from a stack's built-in components, with the rest
/// (`rest_at`: one more of them, if any, apart from both; it must be neither).
pub(super) fn web_and_views(
    parts: &mut [BuiltInPart],
    front: u8,
    rest_at: Option<u8>,
) -> (&mut WebTier, &mut [Balancer], Option<&mut BuiltInPart>) {
    let (web, rest) = parts.split_at_mut(WEB + 1);
    let web = web_tier_mut(web);
    let at = |part: u8| usize::from(part) - WEB - 1;
    fn views(part: &mut BuiltInPart) -> &mut [Balancer] {
        match part.get_mut::<BalancerNode>() {
            Some(b) => &mut b.views,
            None => unreachable!("the load balancer is at the stack's front"),
        }
    }
    match (front, rest_at) {
        (u8::MAX, None) => (web, &mut [], None),
        (u8::MAX, Some(other)) => (web, &mut [], Some(&mut rest[at(other)])),
        (front, None) => (web, views(&mut rest[at(front)]), None),
        (front, Some(other)) => match rest.get_disjoint_mut([at(front), at(other)]) {
            Ok([lb, other]) => (web, views(lb), Some(other)),
            Err(_) => unreachable!("a kind lent beside the balancer is not the balancer"),
        },
    }
}
