"""Ways out: listings, the dashboard's data, exports, and the text the faces print."""
