"""Word lists the search seed draws dataset metadata from (kept apart so seed.py stays readable).

Metadata is drawn within one research domain so a record's topic, instrument, data type and
keywords agree with each other (a cryo-EM topic comes with a cryo-EM microscope).
"""

DOMAINS = {
    "structural biology": {
        "topics": [
            "Ribosome assembly",
            "Membrane transporter structure",
            "Viral capsid dynamics",
            "Ion channel gating",
            "Protein folding intermediates",
            "Spliceosome conformations",
            "Bacterial secretion systems",
            "Photosystem II complexes",
            "Amyloid fibril polymorphs",
            "Nucleosome remodelling",
            "Kinase inhibitor binding",
            "Protein-RNA recognition",
        ],
        "instruments": [
            "Titan Krios G4 cryo-TEM",
            "Glacios 2 cryo-TEM",
            "Talos Arctica",
            "Aquilos 2 cryo-FIB",
            "Bruker D8 Venture diffractometer",
            "Advanced Photon Source 23-ID-B",
            "ALS beamline 8.3.1",
        ],
        "data_types": [
            "raw movies",
            "motion-corrected micrographs",
            "particle stacks",
            "3D reconstructions",
            "diffraction images",
            "tilt series",
            "processed maps",
        ],
        "keywords": [
            "cryo-em",
            "single-particle",
            "tomography",
            "structural-biology",
            "membrane-protein",
            "virus",
            "x-ray",
            "crystallography",
            "high-resolution",
        ],
    },
    "life sciences": {
        "topics": ["Synaptic vesicle fusion", "Soil microbiome diversity", "Cell migration in wound healing"],
        "instruments": [
            "Orbitrap Exploris 480",
            "Illumina NovaSeq 6000",
            "Zeiss LSM 980 confocal",
            "Oxford Nanopore PromethION",
        ],
        "data_types": ["mass spectra", "sequencing reads", "time-lapse images", "annotated tables"],
        "keywords": ["proteomics", "genomics", "microscopy", "time-series", "open-data"],
    },
    "earth and environment": {
        "topics": ["Glacier surface velocity", "Coastal sediment transport", "Urban heat islands"],
        "instruments": ["Sentinel-2 MSI", "Campus cluster simulation (WRF)", "Acoustic Doppler profiler"],
        "data_types": ["satellite scenes", "simulation outputs", "field measurements", "annotated tables"],
        "keywords": ["remote-sensing", "climate", "simulation", "time-series", "open-data"],
    },
    "physical sciences": {
        "topics": [
            "Turbulent boundary layers",
            "Battery electrode degradation",
            "Perovskite thin films",
            "Neutron star mergers",
            "Galaxy cluster lensing",
        ],
        "instruments": [
            "Campus cluster simulation (GROMACS)",
            "Campus cluster simulation (OpenFOAM)",
            "Rigaku SmartLab XRD",
            "Vera C. Rubin Observatory LSSTCam",
        ],
        "data_types": ["simulation trajectories", "diffraction patterns", "survey images", "benchmark results"],
        "keywords": ["materials", "astrophysics", "simulation", "molecular-dynamics", "benchmark", "training-data"],
    },
}

FIRST_NAMES = [
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Priya",
    "Wei",
    "Fatima",
    "Lars",
    "Mariana",
    "Kenji",
    "Amara",
    "Tomasz",
    "Ingrid",
    "Mateo",
    "Aisha",
    "Hiroshi",
    "Elena",
    "Kwame",
    "Sofia",
    "Rahul",
]

LAST_NAMES = [
    "Researcher",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Garcia",
    "Kowalski",
    "Tanaka",
    "Haddad",
    "Larsen",
    "Chen",
    "Mensah",
    "Rossi",
    "Patel",
    "Ivanova",
    "Silva",
    "Dubois",
    "Andersen",
    "Kim",
]

AFFILIATIONS = [
    "Example University",
    "Example University Cryo-EM Core",
    "Institute for Structural Biology",
    "National Synchrotron Laboratory",
    "Coastal Research Station",
    "Center for Computational Science",
]

LICENSES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "ODC-BY-1.0"]
