"""Running Insyn: the production web server (`insyn serve`) and the demo (`insyn demo`)."""
