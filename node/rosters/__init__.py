"""Networks as signed rosters: a coordinating node's roster of member nodes, whose members peer
with each other automatically (docs/PROTOCOL.md §6.1 ``network.roster``, §7.1 joining)."""
