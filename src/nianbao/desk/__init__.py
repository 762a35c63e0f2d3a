"""The collection desk: the office's web desk over the same engine as `nianbao collect`.

`store` keeps the workspace (SQLite + content-addressed files; its parts: `database`, `access`, `receiving`,
`records`) and the live register; `exports` builds the office's downloads as bytes; the web layer (app, routes)
only calls these.
"""
