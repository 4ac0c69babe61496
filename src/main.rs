fn main() {
    std::process::exit(proofdeck::cli::main());
}
