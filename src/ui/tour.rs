//! The guided tour: for each built stage, the problem it solves, what it costs, and a few
//! "try this" experiments that set themselves up with one click.

use yew::prelude::*;

/// One thing an experiment does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Kill the component with this name.
    Kill(&'static str),
    /// Kill whichever database is master now.
    KillMaster,
    /// Set the number of users.
    Users(u64),
    /// Set the number of web servers in service.
    WebServers(u32),
    /// Set the workers of each database node (rebuilds the run).
    DbWorkers(u32),
    /// Choose a speed (index into the speed list).
    Speed(usize),
}

/// A "try this" button.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// The button's text.
    pub label: &'static str,
    /// What to watch for.
    pub prompt: &'static str,
    /// What the button does, in order.
    pub steps: &'static [Step],
}

/// The tour text of one stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageTour {
    /// The problem this stage solves.
    pub problem: &'static str,
    /// What it costs, or what it still does not solve.
    pub tradeoffs: &'static str,
    /// Two or three experiments.
    pub experiments: &'static [Experiment],
}

/// The tour of a stage, if written.
pub fn tour(stage: u8) -> Option<&'static StageTour> {
    TOURS.get(usize::from(stage).checked_sub(1)?)
}

/// 1× and 5× in the speed list.
const SPEED_1X: usize = 4;
const SPEED_5X: usize = 5;

static TOURS: [StageTour; 4] = [
    StageTour {
        problem: "Everything starts on one machine: it renders pages, answers the API, stores the data and sends the images. Users look up its address through DNS and keep the answer for a while. It is cheap and easy to reason about.",
        tradeoffs: "One box has a fixed number of workers. Below its capacity requests are quick; near it they queue and latency shoots up; past it the queue overflows and requests are turned away. And when that box dies, the whole site is gone.",
        experiments: &[
            Experiment {
                label: "Send 5,000 users",
                prompt: "Load climbs to 100 %, the queue fills, p99 explodes, then rejections start.",
                steps: &[Step::Speed(SPEED_5X), Step::Users(5_000)],
            },
            Experiment {
                label: "Kill the server",
                prompt: "Every request now fails: there is nothing else to serve it.",
                steps: &[Step::Speed(SPEED_1X), Step::Kill("web-0")],
            },
            Experiment {
                label: "Kill DNS",
                prompt: "Users with a cached answer carry on; the others fail as their cache expires.",
                steps: &[Step::Speed(SPEED_5X), Step::Kill("dns")],
            },
        ],
    },
    StageTour {
        problem: "The web app and the data fight over one machine's CPU and memory. Moving the database to its own node lets each tier be sized for its own work, and the web tier can later grow without touching the data.",
        tradeoffs: "Every query now crosses the network. There are two machines to run, and each is still a single point of failure. Scaling up one node (more workers, a faster box) works only until the biggest machine you can buy.",
        experiments: &[
            Experiment {
                label: "Grow to 3,500 users",
                prompt: "The database saturates before the web server does: watch its bar go red.",
                steps: &[Step::Speed(SPEED_5X), Step::Users(3_500)],
            },
            Experiment {
                label: "Scale the database up",
                prompt: "Sixteen database workers instead of four, at the same 3,500 users: it copes — for now.",
                steps: &[Step::DbWorkers(16), Step::Users(3_500), Step::Speed(SPEED_5X)],
            },
            Experiment {
                label: "Kill the database",
                prompt: "Pages and API calls fail; static files still work, since they never touch the data.",
                steps: &[Step::Speed(SPEED_1X), Step::Kill("db-0")],
            },
        ],
    },
    StageTour {
        problem: "One web server cannot take all the traffic, and its death is an outage. A load balancer becomes the only public address and spreads requests over a pool of servers on private addresses; health checks take broken servers out of the pool.",
        tradeoffs: "Detection is not instant: a dead server keeps getting its share of requests until it fails enough checks. The balancer itself is now the single point of failure (real setups run a pair). Servers must not keep users' state locally, or moving users between them breaks sessions.",
        experiments: &[
            Experiment {
                label: "Kill web-1",
                prompt: "Its share of requests fails for a few seconds, until the health checks pull it out of the pool.",
                steps: &[Step::Speed(SPEED_1X), Step::Kill("web-1")],
            },
            Experiment {
                label: "Add two servers",
                prompt: "New servers join the pool only after passing their first health checks.",
                steps: &[Step::Speed(SPEED_1X), Step::WebServers(5)],
            },
            Experiment {
                label: "Kill the load balancer",
                prompt: "Every server is healthy, yet nobody can reach them.",
                steps: &[Step::Speed(SPEED_1X), Step::Kill("lb")],
            },
        ],
    },
    StageTour {
        problem: "Most traffic reads, and one database serves every read and write. A master now takes the writes and ships them to replicas, which serve the reads. If the master dies, the most up-to-date replica is promoted.",
        tradeoffs: "Replication is asynchronous: replicas lag behind, and a read from a lagging replica can miss a recent write (a stale read). When the master dies, writes fail until its death is noticed and a replica promoted, and the writes that had not reached that replica are lost.",
        experiments: &[
            Experiment {
                label: "Kill the master",
                prompt: "Writes fail, a replica is promoted a few seconds later — how many writes were lost?",
                steps: &[Step::Speed(SPEED_1X), Step::KillMaster],
            },
            Experiment {
                label: "Kill a replica",
                prompt: "Reads move to the remaining nodes; nothing is lost.",
                steps: &[Step::Speed(SPEED_1X), Step::Kill("db-2")],
            },
            Experiment {
                label: "Double the users",
                prompt: "Writes outpace what a replica can apply: the lag grows, and so do stale reads.",
                steps: &[Step::Speed(SPEED_5X), Step::Users(10_000)],
            },
        ],
    },
];

/// Properties of [`Tour`].
#[derive(Properties, PartialEq)]
pub struct TourProps {
    /// The stage shown.
    pub stage: u8,
    /// Runs an experiment.
    pub on_try: Callback<&'static Experiment>,
}

/// The tour card of the current stage.
#[function_component(Tour)]
pub fn tour_view(props: &TourProps) -> Html {
    // Hooks first: they must run on every render, whatever the stage.
    let tried = use_state(|| None::<&'static str>);
    {
        let tried = tried.clone();
        use_effect_with(props.stage, move |_| tried.set(None));
    }
    let Some(t) = tour(props.stage) else {
        return html! {};
    };
    html! {
        <section class="tour card" aria-labelledby="tour-title" data-tour={props.stage.to_string()}>
            <h2 id="tour-title">{ "Why this stage" }</h2>
            <p><strong>{ "The problem. " }</strong>{ t.problem }</p>
            <p><strong>{ "The trade-offs. " }</strong>{ t.tradeoffs }</p>
            <h3>{ "Try this" }</h3>
            <div class="try-list">
                { for t.experiments.iter().enumerate().map(|(i, e)| {
                    let cb = props.on_try.clone();
                    let tried = tried.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        tried.set(Some(e.prompt));
                        cb.emit(e);
                    });
                    html! {
                        <button class="btn btn-try" data-try={i.to_string()} onclick={onclick}
                            title={e.prompt}>{ e.label }</button>
                    }
                }) }
            </div>
            if let Some(prompt) = *tried {
                <p class="try-prompt" role="status">{ "Watch: " }{ prompt }</p>
            }
        </section>
    }
}
