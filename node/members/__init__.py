"""Members: profiles, the local directory, the skills thesaurus and text normalisation."""
