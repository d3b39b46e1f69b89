"""What the portal (``node.web``) and the JSON API (``node.api``) share, so that neither imports
the other: access markers and security (``security``), input parsing (``forms``), the request's
node, clock and settings (``context``), and the query and display helpers both faces build
(``queries``)."""
