"""The site's MkDocs event handlers, one job per module, run by `alphabet_site.plugin`."""
