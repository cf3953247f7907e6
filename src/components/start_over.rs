//! The way back to the start screen, shown on every screen of an attempt. Its own module so the
//! screens that show it do not import the shell that shows them.
use leptos::prelude::*;

use crate::app::TinCan;

#[component]
pub fn StartOver() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| tin_can.start_over()>"Start over"</button>
        </div>
    }
}
