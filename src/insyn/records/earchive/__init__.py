"""E-archive delivery: submission information packages (FGS Paketstruktur 2.0 = E-ARK CSIP/SIP
2.1.0, and BagIt) built from the archive, validated, and offered only when valid (docs/earchive.md)."""
