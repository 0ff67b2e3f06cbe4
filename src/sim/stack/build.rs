//! Building a data center's stack: its components registered in the engine's order (the
//! page's first diagram, `layout_plan`, lists them in the same order) and their stations.

use super::*;

impl Stack {
    pub(super) fn add_component(&mut self, name: String, kind: ComponentKind) -> ComponentId {
        let id = ComponentId(self.components.len() as u16);
        self.components.push(ComponentInfo { id, name, kind });
        self.parts.push(Part::of_kind(kind));
        id
    }

    /// The component of the registered kind's component number `plug`.
    #[inline]
    pub(super) fn plug_component(&self, plug: u8) -> ComponentId {
        self.plug_ids[usize::from(plug)]
    }

    pub(super) fn add_station(
        &mut self,
        id: ComponentId,
        tier: Tier,
        index: u16,
        station: Station,
    ) -> u16 {
        let s = self.stations.len() as u16;
        self.stations.push(station);
        self.station_info.push((id, tier, index));
        self.parts[usize::from(id.0)] = Part::Station(s);
        s
    }

    // The page draws the same components before the engine loads: src/layout_plan.rs lists
    // them in this order (tests/core/layout_plan.rs checks): change both together.
    pub(super) fn build_topology(&mut self) {
        let scenario = self.scenario.clone();
        self.add_component("users".into(), ComponentKind::Users);
        // The built-in kinds' components listed right after the users (DNS: component 1).
        self.add_built_in_components(Listed::AfterUsers);
        // The front door's (the load balancer).
        self.add_built_in_components(Listed::FrontDoor);
        // The web tier's first stations: each pool's servers, the first pool's first.
        self.add_built_in_components(Listed::AfterFrontDoor);
        // The built-in kinds' components listed after the web servers: the database nodes
        // (every shard of each database, the first registered there), the CDN edge, then the
        // shared session store's station.
        self.add_built_in_components(Listed::AfterDatabases);
        // The built-in kinds' components beside the request path (the message queue and its
        // workers), here in the engine's order.
        for part in 0..self.built_ins.len() {
            let members = self.built_ins[part].members();
            for (member, &(name, kind)) in members.iter().enumerate() {
                let id = self.add_component(name.into(), kind);
                self.parts[usize::from(id.0)] = Part::Member {
                    part: part as u8,
                    member: member as u8,
                };
            }
        }
        // The built-in kinds listed after those (the NoSQL stores, whose nodes have no
        // component above them: the scenario's `nosql`, `nosql-N`, then each further store's,
        // `<name>-N`).
        self.add_built_in_components(Listed::AfterMembers);
        // The built-in kinds' components listed after the NoSQL stores (the cache clusters'
        // nodes: `cache-N`, then each further cache's `<name>-N`).
        self.add_built_in_components(Listed::AfterNoSql);
        // The registered kinds' components (src/layout_plan.rs lists them last too).
        for p in &scenario.plugs {
            let id = self.add_component(p.name.clone(), ComponentKind::Plug(p.params.kind()));
            self.parts[usize::from(id.0)] = Part::Plug(self.plugs.len() as u8);
            self.plugs.push(PlugPart::new(&p.params));
            self.plug_ids.push(id);
            self.plug_deaths.push(0);
        }
    }

    /// Adds the components of the built-in kinds listed at `place`, in registration order,
    /// each followed by its first stations ([`BuiltInPart::initial_stations`]), group by group.
    fn add_built_in_components(&mut self, place: Listed) {
        for part in 0..self.built_ins.len() {
            if self.built_ins[part].listed() != place {
                continue;
            }
            if let Some((name, kind)) = self.built_ins[part].component() {
                let id = self.add_component(name.into(), kind);
                self.parts[usize::from(id.0)] = Part::BuiltIn(part as u8);
                self.built_in_ids[part] = id;
            }
            let groups = self.built_ins[part].initial_stations();
            for (group, &count) in groups.iter().enumerate() {
                for _ in 0..count {
                    self.place_station(part as u8, group as u8, true);
                }
            }
        }
    }

    /// Places the next station of group `group` of built-in component `part` (the web
    /// tier's: web server `web-N` of pool `group`, `<name>-N` in a further pool; a cache
    /// cluster's node; the session store), with its
    /// component, as the kind describes it ([`BuiltInPart::new_station`]), and tells the
    /// kind its number. `initial`: as the stack is built (a web server then starts in the
    /// balancer's pool; a later one joins after passing health checks). Inside a data
    /// center that is down (stage 11) it starts down; then the kind's line is logged.
    pub(super) fn place_station(&mut self, part: u8, group: u8, initial: bool) {
        let new = self.built_ins[usize::from(part)].new_station(group);
        let id = self.add_component(new.name, new.kind);
        let s = self.add_station(id, Tier::Kind(part), new.index, new.station);
        let note = self.built_ins[usize::from(part)].station_placed(group, s, initial);
        let change = GroupChange::Placed {
            station: s,
            initial,
        };
        self.tell_viewers(part, group, change);
        if self.site.as_ref().is_some_and(|site| site.down) {
            self.kill_with_cause(id, "its data center is down");
        }
        if let Some(text) = note {
            let name = self.components[usize::from(id.0)].name.clone();
            self.log_event(&name, text);
        }
    }

    /// Changes group `group` of built-in component `part` (a web pool) to `count` stations
    /// in service, through the kind's [`BuiltInPart::resize`], and places the new stations
    /// it asks for.
    pub(super) fn resize_part(&mut self, part: u8, group: u8, count: u32) {
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        let mut changes = Vec::new();
        let resize = self.built_ins[usize::from(part)].resize(
            group,
            count,
            &mut self.scenario,
            ctx,
            &mut changes,
        );
        for change in changes {
            self.tell_viewers(part, group, change);
        }
        for _ in 0..resize.unwrap_or(0) {
            self.place_station(part, group, false);
        }
    }

    /// Tells the built-in components that view built-in component `part`'s groups (the
    /// load balancer, the web tier's pools: `BuiltIn::VIEWS`) that its group `group` changed.
    fn tell_viewers(&mut self, part: u8, group: u8, change: GroupChange) {
        let node = self.built_ins[usize::from(part)].node();
        for viewer in &mut self.built_ins {
            if viewer.views() == Some(node) {
                viewer.group_changed(group, change);
            }
        }
    }
}
