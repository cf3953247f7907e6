//! A group chat's parts: Add person, the member list with a safety code per member, Leave
//! group, and the group's log with authors and receipts.

use leptos::html;
use leptos::prelude::*;

use crate::app::{AddPerson, GroupLine, LineKind, MemberRow, TinCan};
use crate::components::chat::{focused_when_shown, is_connected, HeaderPanels};
use crate::components::icons::{Icon, IconSvg};
use crate::components::link_share::LinkShare;
use crate::core::group::MAX_MEMBERS;
use crate::web::browser::{clock_text, iso_time};

/// The header's group buttons while connected: Add person (when the peer's app can be in a
/// group and there is room), Members and Leave group (in a group).
#[component]
pub fn GroupActions() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().members;
    let groups = tin_can.groups;
    let can_add = move || {
        is_connected(tin_can)
            && (groups.active.get() || groups.peer_can_group.get())
            && groups.members.with(|m| m.len() < MAX_MEMBERS)
            && groups.add.with(|a| *a == AddPerson::Closed)
    };
    view! {
        <Show when=can_add>
            <button type="button" class="ghost icon-button" on:click=move |_| tin_can.add_person()>
                <IconSvg icon=Icon::AddPerson/>
                <span class="label">"Add person"</span>
            </button>
        </Show>
        <Show when=move || groups.active.get()>
            <button type="button" class="ghost icon-button" node_ref=panel.button
                aria-controls="members-panel" aria-expanded=move || panel.open.get().to_string()
                on:click=move |_| panel.open.update(|open| *open = !*open)>
                <IconSvg icon=Icon::Members/>
                <span class="label">{move || format!("Members ({})", groups.members.with(Vec::len))}</span>
            </button>
            <button type="button" class="ghost icon-button" on:click=move |_| tin_can.leave_group()>
                <IconSvg icon=Icon::LeaveGroup/>
                <span class="label">"Leave group"</span>
            </button>
        </Show>
    }
}

/// Above the log: the Add person panel while a link is out, and the member list when open.
#[component]
pub fn GroupPanels() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().members;
    let groups = tin_can.groups;
    view! {
        <Show when=move || groups.add.with(|a| *a != AddPerson::Closed) || groups.add_problem.with(Option::is_some)>
            <AddPersonPanel/>
        </Show>
        <Show when=move || panel.open.get() && groups.active.get()>
            <MemberList/>
        </Show>
    }
}

#[component]
fn AddPersonPanel() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let groups = tin_can.groups;
    let pasted = RwSignal::new(String::new());
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tin_can.use_add_person_answer(&pasted.get_untracked());
    };
    view! {
        <section class="group-panel" aria-labelledby="add-person-title" data-testid="add-person">
            <div class="panel-head">
                <h2 id="add-person-title">"Add person"</h2>
                <button type="button" class="ghost" on:click=move |_| tin_can.cancel_add_person()>"Cancel"</button>
            </div>
            {move || groups.add_problem.get().map(|problem| view! { <p class="problem" role="alert">{problem}</p> })}
            {move || match groups.add.get() {
                AddPerson::Closed => ().into_any(),
                AddPerson::Preparing => view! { <p role="status">"Preparing the link…"</p> }.into_any(),
                AddPerson::Connecting => view! { <p role="status">"Connecting to the new person…"</p> }.into_any(),
                AddPerson::Answer { link } => view! {
                    <p>"Someone sent you a link to come back into this group. Send them this answer link; once they open it, the group takes them back in (only a member of the group is let in)."</p>
                    <LinkShare link label="Answer link for the member coming back" input_id="add-person-answer-link"
                        copy_label="Copy answer link" share_label="Share answer" qr_test_id="add-person-answer-qr"/>
                }.into_any(),
                AddPerson::Invite { link } => view! {
                    <p>"Send this invite link to the person you want to add. Once they are connected to you, the group introduces them to everyone else."</p>
                    <LinkShare link label="Invite link for the new person" input_id="add-person-link"
                        copy_label="Copy invite link" share_label="Share invite" qr_test_id="add-person-qr"/>
                    <form class="paste" on:submit=connect>
                        <label for="add-person-answer">"Paste their answer link"</label>
                        <textarea id="add-person-answer" rows="2" spellcheck="false" autocomplete="off"
                            prop:value=move || pasted.get()
                            on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                        <div class="actions">
                            <button type="submit" class="primary">"Add to group"</button>
                        </div>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MemberList() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let panel = expect_context::<HeaderPanels>().members;
    let section = focused_when_shown();
    view! {
        <section id="members-panel" class="group-panel" aria-labelledby="members-title" tabindex="-1" node_ref=section
            on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); panel.close(); }>
            <div class="panel-head">
                <h2 id="members-title">"Members"</h2>
                <button type="button" class="ghost" on:click=move |_| panel.close()>"Close"</button>
            </div>
            <p class="hint">"Each person has a safety code of their own with you: compare it with that person, by voice or in person."</p>
            <ul class="members" data-testid="group-members">
                <For each=move || tin_can.groups.members.get() key=|row| row.clone() let:row>
                    <Member row/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Member(row: MemberRow) -> impl IntoView {
    view! {
        <li class="member" data-testid="member" data-member-id=row.id.clone() data-reach=row.reach data-introduction=row.introduction>
            <span class="member-name">{row.name.clone()}</span>
            " "
            <span class="member-reach">{row.reach_label.clone()}</span>
            {(!row.me).then(|| view! { <span class="member-added">{format!("added by {}", row.added_by)}</span> })}
            {row.safety_code.clone().map(|code| view! {
                <p class="member-code">
                    <span class="visually-hidden">{format!("Safety code with {}: ", row.name)}</span>
                    <span data-testid="member-safety-code">{code}</span>
                </p>
            })}
        </li>
    }
}

/// "Bob is typing…", "Bob and Cat are typing…".
#[component]
pub fn GroupTyping() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let text = move || {
        tin_can.groups.typing.with(|names| match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [rest @ .., last] => Some(format!("{} and {last} are typing…", rest.join(", "))),
        })
    };
    view! { <p class="typing" aria-live="polite" data-testid="group-typing">{text}</p> }
}

/// The group's messages, each with its author; own messages say how many have them.
#[component]
pub fn GroupLog() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    let list = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        tin_can.groups.lines.with(Vec::len);
        request_animation_frame(move || {
            if let Some(list) = list.try_get_untracked().flatten() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    });
    view! {
        <div class="messages" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0"
            data-testid="group-log" data-total=move || tin_can.groups.lines.with(Vec::len)>
            <ol class="message-list">
                <For each=move || tin_can.groups.lines.get()
                    key=|line| (line.key.clone(), line.author.clone(), line.receipt.map(|r| (r.delivered_to, r.of)))
                    let:line>
                    <Line line/>
                </For>
            </ol>
        </div>
    }
}

#[component]
fn Line(line: GroupLine) -> impl IntoView {
    match line.what {
        // Text nodes only: whatever a member sends is shown, never interpreted as markup.
        LineKind::Text(text) => view! {
            <li class="message" data-author=if line.mine { "me" } else { "peer" } data-group-author=line.author.clone()>
                {(!line.mine).then(|| view! { <p class="author">{line.author.clone()}</p> })}
                <p class="text">{text}</p>
                <p class="meta">
                    <time datetime=iso_time(line.at_ms)>{clock_text(line.at_ms)}</time>
                    {line.receipt.map(|r| view! {
                        <span class="delivery" data-testid="group-receipt" data-delivered=r.delivered_to data-of=r.of>
                            {format!("Delivered to {} of {}", r.delivered_to, r.of)}
                        </span>
                    })}
                </p>
            </li>
        }
        .into_any(),
        LineKind::Added(who) => view! {
            <li class="group-event" data-testid="group-event">
                {format!("{} added {}", line.author, if who == "You" { "you" } else { who.as_str() })}
            </li>
        }
        .into_any(),
        LineKind::Left => view! {
            <li class="group-event" data-testid="group-event">{format!("{} left the group", line.author)}</li>
        }
        .into_any(),
    }
}
