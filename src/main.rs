fn main() {
    println!("medgem-prs");
}
