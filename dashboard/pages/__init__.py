"""One module per page (Dash pages): layout plus its own thin callbacks.

A page registers itself with the app as it is imported (dash.register_page), which Dash allows only
once the app exists.  So importing any page first (a test, a script, a shell) builds the app, whose
creation imports every page: a test that imported one page before anything had built the app failed
with "register_page() must be called after app instantiation", depending on the order tests ran in.
"""

import dashboard.app  # noqa: F401 - for its effect: the app exists before any page registers
