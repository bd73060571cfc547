"""The TensorBoard screenshots of the site: `capture` trains, serves and shoots them,
`tensorboard_ui` drives TensorBoard's views, `browser` keeps Chromium to loopback, and
`images` turns the shots into checked palette PNGs with their manifest."""
