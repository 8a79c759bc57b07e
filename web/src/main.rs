//! Browser demo entry point: mounts [`fipmae_web::app::App`] (see [`fipmae_web::start`]).

fn main() {
    fipmae_web::start();
}
