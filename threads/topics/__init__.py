"""Topics: codebook loading, data-free NLTK normalisation, classifier, training, evaluation."""
