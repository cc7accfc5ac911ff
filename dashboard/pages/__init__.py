"""One module per page (Dash pages): layout plus its own thin callbacks."""
