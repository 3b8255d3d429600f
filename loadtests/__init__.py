"""GridHub loadtests package."""
