use leptos::prelude::*;

use crate::app::TinCan;
use crate::components::history::ConversationList;
use crate::components::scan::ScanQrCode;
use crate::core::links::code_of;
use crate::core::scan::Expecting;
use crate::web::browser::put_code_in_location;

#[component]
pub fn StartView() -> impl IntoView {
    let tin_can = expect_context::<TinCan>();
    view! {
        <section class="card hero">
            <h2>"A private chat between two browsers"</h2>
            <p>"Make an invite link and send it through any messenger. Your contact opens it and sends back an answer link. Then your browsers talk directly, encrypted, with nothing in between."</p>
            <button type="button" class="primary big" on:click=move |_| tin_can.create_invite()>"Create invite"</button>
            <ScanQrCode expecting=Expecting::Invite on_link=move |link: String| { put_code_in_location(code_of(&link)); tin_can.open_location() }/>
            <ol class="steps">
                <li><strong>"Invite."</strong>" Send the invite link to one person."</li>
                <li><strong>"Answer."</strong>" They open it and send you the answer link."</li>
                <li><strong>"Talk."</strong>" Paste it here (or open it in this browser) and chat."</li>
            </ol>
        </section>
        <ConversationList/>
    }
}
