//! One test per allocation rule (SPEC §10), then properties over random inputs.

use proptest::prelude::*;

use super::*;

const MIN: Millis = 60_000;
const PARAMS: Params = Params {
    attention_window: 5 * MIN,
    agent_timeout: 30 * MIN,
};

/// Stream indices used below.
const ACME: Option<StreamIx> = Some(0);
const TOOLS: Option<StreamIx> = Some(1);

fn at(minute: i64) -> Millis {
    minute * MIN
}

fn ev(minute: i64, machine: MachineIx, stream: Option<StreamIx>, signal: Signal) -> Input {
    Input {
        at: at(minute),
        machine,
        stream,
        signal,
    }
}

fn focus(minute: i64, stream: Option<StreamIx>) -> Input {
    ev(minute, 0, stream, Signal::Focus)
}

fn tool(minute: i64, stream: Option<StreamIx>, session: SessionIx) -> Input {
    ev(minute, 0, stream, Signal::ToolUse { session })
}

fn ended(minute: i64, stream: Option<StreamIx>, session: SessionIx) -> Input {
    ev(minute, 0, stream, Signal::SessionEnded { session })
}

fn run(mut inputs: Vec<Input>) -> Vec<Interval> {
    sort_inputs(&mut inputs);
    allocate(&inputs, &PARAMS)
}

/// Total of `kind` time for `stream`, in minutes.
fn total(intervals: &[Interval], kind: Kind, stream: Option<StreamIx>) -> i64 {
    intervals
        .iter()
        .filter(|i| i.kind == kind && i.stream == stream)
        .map(Interval::len)
        .sum::<i64>()
        / MIN
}

#[test]
fn one_agent_while_the_user_is_focused_gives_direct_and_delegated_time_that_overlap() {
    let out = run(vec![
        focus(0, ACME),
        tool(1, ACME, 7),
        focus(4, ACME),
        tool(20, ACME, 7),
    ]);
    // Focus at 0 and 4: attention until 4 + 5.
    assert_eq!(total(&out, Kind::Direct, ACME), 9);
    assert_eq!(total(&out, Kind::Delegated, ACME), 19);
}

#[test]
fn two_agents_with_focus_switching_between_them_split_direct_and_both_get_delegated() {
    let out = run(vec![
        tool(0, ACME, 1),
        tool(0, TOOLS, 2),
        focus(0, ACME),
        focus(3, TOOLS),
        focus(6, ACME),
        tool(30, ACME, 1),
        tool(30, TOOLS, 2),
    ]);
    assert_eq!(total(&out, Kind::Direct, ACME), 3 + 5);
    assert_eq!(total(&out, Kind::Direct, TOOLS), 3);
    assert_eq!(total(&out, Kind::Delegated, ACME), 30);
    assert_eq!(total(&out, Kind::Delegated, TOOLS), 30);
}

#[test]
fn afk_while_an_agent_works_cuts_direct_time_back_to_when_idleness_began() {
    let out = run(vec![
        focus(0, ACME),
        focus(2, ACME),
        tool(2, ACME, 1),
        // Reported at 6, idle for 3 minutes: attention ended at 3.
        ev(6, 0, None, Signal::Idle { idle_ms: 3 * MIN }),
        tool(20, ACME, 1),
    ]);
    assert_eq!(total(&out, Kind::Direct, ACME), 3);
    assert_eq!(total(&out, Kind::Delegated, ACME), 18);
}

#[test]
fn an_idle_report_never_cuts_before_the_focus_event() {
    let out = run(vec![
        focus(0, ACME),
        focus(10, TOOLS),
        ev(12, 0, None, Signal::Idle { idle_ms: 60 * MIN }),
    ]);
    // The idleness reaches back past both focus events: neither keeps any time,
    // and the cut never produces an interval that starts before its focus.
    assert_eq!(total(&out, Kind::Direct, ACME), 0);
    assert_eq!(total(&out, Kind::Direct, TOOLS), 0);
    assert!(out.is_empty());
}

#[test]
fn client_focus_out_ends_direct_time_and_focus_in_starts_it_again() {
    // Issue 15: focus at 10:00, focus-out at 10:02, focus-in at 10:40, nothing else,
    // with a 5-minute window: 2 + 5 minutes, not 5.
    let out = run(vec![
        focus(600, ACME),
        ev(602, 0, ACME, Signal::Blur),
        ev(640, 0, ACME, Signal::Focus),
    ]);
    assert_eq!(total(&out, Kind::Direct, ACME), 2 + 5);
    assert_eq!(
        out.iter()
            .map(|i| (i.start / MIN, i.end / MIN))
            .collect::<Vec<_>>(),
        [(600, 602), (640, 645)]
    );
}

#[test]
fn a_session_with_no_tool_use_gives_no_delegated_time() {
    let out = run(vec![
        ev(0, 0, ACME, Signal::Focus),
        ended(20, ACME, 1),
        ended(40, ACME, 1),
    ]);
    assert_eq!(total(&out, Kind::Delegated, ACME), 0);
}

#[test]
fn tool_uses_further_apart_than_the_agent_timeout_are_separate_runs() {
    let out = run(vec![
        tool(0, ACME, 1),
        tool(10, ACME, 1),
        // 31 minutes later, no `ended` in between: a new run.
        tool(41, ACME, 1),
        tool(45, ACME, 1),
    ]);
    assert_eq!(total(&out, Kind::Delegated, ACME), 10 + 4);
}

#[test]
fn ended_closes_the_run_when_it_follows_within_the_agent_timeout() {
    let out = run(vec![tool(0, ACME, 1), tool(10, ACME, 1), ended(25, ACME, 1)]);
    assert_eq!(total(&out, Kind::Delegated, ACME), 25);
    let late = run(vec![tool(0, ACME, 1), ended(45, ACME, 1)]);
    assert_eq!(total(&late, Kind::Delegated, ACME), 0);
}

#[test]
fn a_resumed_session_counts_again_after_ended() {
    let out = run(vec![
        tool(0, ACME, 1),
        tool(10, ACME, 1),
        ended(10, ACME, 1),
        // Resumed two minutes later: within the timeout, but `ended` closed the run.
        tool(12, ACME, 1),
        tool(20, ACME, 1),
    ]);
    assert_eq!(total(&out, Kind::Delegated, ACME), 10 + 8);
    let runs: Vec<_> = out.iter().map(|i| (i.start / MIN, i.end / MIN)).collect();
    assert_eq!(runs, [(0, 10), (12, 20)]);
}

#[test]
fn a_subagent_overlapping_its_parent_in_one_stream_is_counted_once() {
    let out = run(vec![
        tool(0, ACME, 1),
        tool(20, ACME, 1),
        // The subagent (its own session) works from 5 to 25.
        tool(5, ACME, 2),
        tool(25, ACME, 2),
    ]);
    assert_eq!(total(&out, Kind::Delegated, ACME), 25);
}

#[test]
fn parallel_agents_in_two_streams_add_up() {
    let out = run(vec![
        tool(0, ACME, 1),
        tool(20, ACME, 1),
        tool(0, TOOLS, 2),
        tool(20, TOOLS, 2),
    ]);
    assert_eq!(
        total(&out, Kind::Delegated, ACME) + total(&out, Kind::Delegated, TOOLS),
        40
    );
}

#[test]
fn focus_switching_between_two_machines_never_gives_more_direct_time_than_the_clock() {
    // Machine 0 (ACME) and machine 1 (TOOLS) alternate every 3 minutes for an hour.
    let mut inputs = Vec::new();
    for k in 0..20 {
        let (machine, stream) = if k % 2 == 0 { (0, ACME) } else { (1, TOOLS) };
        inputs.push(ev(3 * k, machine, stream, Signal::Focus));
    }
    let out = run(inputs);
    let direct: i64 = out
        .iter()
        .filter(|i| i.kind == Kind::Direct)
        .map(Interval::len)
        .sum();
    // Focused from 0 to 57 + 5 minutes, continuously.
    assert_eq!(direct / MIN, 62);
    assert_eq!(total(&out, Kind::Direct, ACME), 30);
    assert_eq!(total(&out, Kind::Direct, TOOLS), 27 + 5);
    assert!(out.iter().any(|i| i.machine == 1));
}

#[test]
fn focus_on_an_event_without_a_stream_is_unassigned_direct_time() {
    let out = run(vec![focus(0, None), focus(2, ACME)]);
    assert_eq!(total(&out, Kind::Direct, None), 2);
    assert_eq!(total(&out, Kind::Direct, ACME), 5);
}

#[test]
fn consecutive_focus_on_one_stream_is_one_interval() {
    let out = run(vec![focus(0, ACME), focus(2, ACME), focus(4, ACME)]);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].start, out[0].end), (at(0), at(9)));
}

#[test]
fn union_len_counts_overlaps_once() {
    assert_eq!(union_len([(0, 10), (5, 15), (20, 25), (25, 26)]), 21);
    assert_eq!(union_len([]), 0);
}

// Properties over random inputs.

fn signal() -> impl Strategy<Value = Signal> {
    prop_oneof![
        6 => Just(Signal::Focus),
        1 => Just(Signal::Blur),
        1 => (0i64..20).prop_map(|m| Signal::Idle { idle_ms: m * MIN }),
        6 => (0u32..4).prop_map(|session| Signal::ToolUse { session }),
        1 => (0u32..4).prop_map(|session| Signal::SessionEnded { session }),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    (
        0i64..600,
        0u32..3,
        proptest::option::weighted(0.9, 0u32..4),
        signal(),
    )
        .prop_map(|(second, machine, stream, signal)| Input {
            at: second * 20_000,
            machine,
            stream,
            signal,
        })
}

proptest! {
    #[test]
    fn direct_time_never_exceeds_the_wall_clock(inputs in proptest::collection::vec(input(), 0..120)) {
        let out = run(inputs.clone());
        let direct: Vec<&Interval> = out.iter().filter(|i| i.kind == Kind::Direct).collect();
        let sum: i64 = direct.iter().map(|i| i.len()).sum();
        let union = union_len(direct.iter().map(|i| (i.start, i.end)));
        // Attention is global: direct intervals never overlap...
        prop_assert_eq!(sum, union);
        // ...and lie within the span of the events plus one window.
        if let (Some(first), Some(last)) = (inputs.iter().map(|i| i.at).min(), inputs.iter().map(|i| i.at).max()) {
            prop_assert!(sum <= last - first + PARAMS.attention_window);
        }
    }

    #[test]
    fn the_result_does_not_depend_on_input_order(
        inputs in proptest::collection::vec(input(), 0..80),
        seed in any::<u64>(),
    ) {
        let mut shuffled = inputs.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(run(inputs), run(shuffled));
    }

    #[test]
    fn adjacent_ranges_add_up_to_their_union(
        inputs in proptest::collection::vec(input(), 0..80),
        a in 0i64..200, b in 0i64..200, c in 0i64..200,
    ) {
        let mut cuts = [a * MIN, b * MIN, c * MIN];
        cuts.sort();
        let [a, b, c] = cuts;
        let out = run(inputs);
        let sum = |v: &[Interval], kind: Kind, stream: Option<StreamIx>| -> i64 {
            v.iter().filter(|i| i.kind == kind && i.stream == stream).map(Interval::len).sum()
        };
        let (left, right, whole) = (clip(&out, a, b), clip(&out, b, c), clip(&out, a, c));
        for kind in [Kind::Direct, Kind::Delegated] {
            for stream in [None, Some(0), Some(1), Some(2), Some(3)] {
                prop_assert_eq!(sum(&left, kind, stream) + sum(&right, kind, stream), sum(&whole, kind, stream));
            }
        }
    }

    #[test]
    fn delegated_time_of_a_stream_is_a_union(inputs in proptest::collection::vec(input(), 0..80)) {
        let out = run(inputs);
        for stream in [None, Some(0), Some(1), Some(2), Some(3)] {
            for machine in 0..3 {
                let mine: Vec<&Interval> = out
                    .iter()
                    .filter(|i| i.kind == Kind::Delegated && i.stream == stream && i.machine == machine)
                    .collect();
                let sum: i64 = mine.iter().map(|i| i.len()).sum();
                prop_assert_eq!(sum, union_len(mine.iter().map(|i| (i.start, i.end))));
            }
        }
    }
}
