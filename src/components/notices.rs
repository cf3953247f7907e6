//! The app's alerts and notices: above the screen, or inside the chat above the log.
use leptos::prelude::*;

use crate::app::{StorageState, TinCan};

#[component]
pub fn Notices() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        {move || tin_can.notices.alert.get().map(|text| view! { <p class="alert" role="alert">{text}</p> })}
        {move || tin_can.notices.notice.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
        {move || tin_can.storage.state.with(|s| match s {
            StorageState::Unavailable(why) => Some(why.clone()),
            _ => None,
        }).map(|text| view! { <p class="notice" role="status" data-testid="storage-unavailable">{text}</p> })}
    }
}
