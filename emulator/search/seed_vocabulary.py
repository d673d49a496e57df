"""Word lists the search seed draws dataset metadata from (kept apart so seed.py stays readable)."""

TOPICS = [
    "Ribosome assembly", "Membrane transporter structure", "Viral capsid dynamics", "Ion channel gating",
    "Protein folding intermediates", "Spliceosome conformations", "Bacterial secretion systems",
    "Photosystem II complexes", "Amyloid fibril polymorphs", "Nucleosome remodelling",
    "Synaptic vesicle fusion", "Kinase inhibitor binding", "Glacier surface velocity",
    "Coastal sediment transport", "Soil microbiome diversity", "Urban heat islands",
    "Turbulent boundary layers", "Battery electrode degradation", "Perovskite thin films",
    "Neutron star mergers", "Galaxy cluster lensing", "Protein-RNA recognition",
]

INSTRUMENTS = [
    "Titan Krios G4 cryo-TEM", "Glacios 2 cryo-TEM", "Talos Arctica", "Aquilos 2 cryo-FIB",
    "Bruker D8 Venture diffractometer", "Orbitrap Exploris 480", "Illumina NovaSeq 6000",
    "Zeiss LSM 980 confocal", "Advanced Photon Source 23-ID-B", "ALS beamline 8.3.1",
    "Campus cluster simulation (GROMACS)", "Sentinel-2 MSI", "Oxford Nanopore PromethION",
]

DATA_TYPES = [
    "raw movies", "motion-corrected micrographs", "particle stacks", "3D reconstructions",
    "diffraction images", "tilt series", "mass spectra", "sequencing reads", "simulation trajectories",
    "time-lapse images", "processed maps", "annotated tables",
]

KEYWORDS = [
    "cryo-em", "single-particle", "tomography", "structural-biology", "membrane-protein", "virus",
    "x-ray", "crystallography", "proteomics", "genomics", "microscopy", "simulation",
    "molecular-dynamics", "remote-sensing", "climate", "materials", "astrophysics", "benchmark",
    "training-data", "open-data", "high-resolution", "time-series",
]

FIRST_NAMES = [
    "Alice", "Bob", "Carol", "Dave", "Priya", "Wei", "Fatima", "Lars", "Mariana", "Kenji", "Amara",
    "Tomasz", "Ingrid", "Mateo", "Aisha", "Hiroshi", "Elena", "Kwame", "Sofia", "Rahul",
]

LAST_NAMES = [
    "Researcher", "Nguyen", "Okafor", "Schmidt", "Garcia", "Kowalski", "Tanaka", "Haddad", "Larsen",
    "Chen", "Mensah", "Rossi", "Patel", "Ivanova", "Silva", "Dubois", "Andersen", "Kim",
]

AFFILIATIONS = [
    "Example University", "Example University Cryo-EM Core", "Institute for Structural Biology",
    "National Synchrotron Laboratory", "Coastal Research Station", "Center for Computational Science",
]

LICENSES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "ODC-BY-1.0"]
