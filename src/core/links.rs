//! Links and routes: where the app lives, and what its URL fragment asks for.

/// What the URL fragment asks the app to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    /// An invite or answer code (not yet decoded).
    Code(String),
}

/// Pure route function over `location.hash` (with or without the leading `#`).
pub fn route(hash: &str) -> Route {
    let fragment = hash.strip_prefix('#').unwrap_or(hash).trim();
    if fragment.is_empty() {
        Route::Home
    } else {
        Route::Code(fragment.to_owned())
    }
}

/// The app's own address without query or fragment: origin + path, so links work under a
/// sub-path such as GitHub Pages' `/tincan/`.
pub fn app_base(href: &str) -> &str {
    let end = href.find(['#', '?']).unwrap_or(href.len());
    &href[..end]
}

/// The code a link carries: what follows its `#`, or the whole text when it is a bare code.
pub fn code_of(link: &str) -> &str {
    let link = link.trim();
    link.split_once('#').map_or(link, |(_, code)| code.trim())
}

/// A shareable link carrying `code` in its fragment (never sent to any server).
pub fn link_with_code(app_base: &str, code: &str) -> String {
    format!("{app_base}#{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_fragment() {
        assert_eq!(route(""), Route::Home);
        assert_eq!(route("#"), Route::Home);
        assert_eq!(route("#  "), Route::Home);
        assert_eq!(route("#Cabc"), Route::Code("Cabc".into()));
    }

    #[test]
    fn base_drops_query_and_fragment() {
        assert_eq!(
            app_base("https://x.github.io/tincan/#Cabc"),
            "https://x.github.io/tincan/"
        );
        assert_eq!(
            app_base("https://x.github.io/tincan/?a=1#b"),
            "https://x.github.io/tincan/"
        );
        assert_eq!(app_base("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
    }

    #[test]
    fn the_code_of_a_link_or_a_bare_code() {
        assert_eq!(code_of(" https://x.github.io/tincan/#Dabc\n"), "Dabc");
        assert_eq!(code_of("https://other.example/#Lxyz"), "Lxyz");
        assert_eq!(code_of("Dabc"), "Dabc");
    }

    #[test]
    fn links_put_the_code_in_the_fragment() {
        assert_eq!(
            link_with_code("https://x.github.io/tincan/", "Cabc"),
            "https://x.github.io/tincan/#Cabc"
        );
    }
}
