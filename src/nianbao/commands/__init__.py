"""One module per sub-command of `nianbao`; each exports `command`."""
