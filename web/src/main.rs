//! Browser demo entry point: installs the panic hook and mounts [`app::App`].

mod app;
mod components;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
