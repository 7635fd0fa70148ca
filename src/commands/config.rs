use anyhow::Result;

use super::Ctx;
use crate::cli::ConfigArgs;

pub fn run(_args: &ConfigArgs, ctx: &Ctx) -> Result<()> {
    println!("# effective configuration (file: {})", ctx.config_file.display());
    print!("{}", ctx.config.to_toml()?);
    let ignored = crate::config::ignored_env_vars();
    if !ignored.is_empty() {
        println!("# ignored (not configuration keys): {}", ignored.join(", "));
    }
    Ok(())
}
